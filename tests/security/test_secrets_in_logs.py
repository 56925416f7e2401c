"""Secrets read from the environment never reach a log line or a stored error: not when a connector's credentials
are refused, not when its API fails, not when a webhook arrives with a bad signature.

Every logger records at DEBUG here, urllib3's included (it logs each request it makes). Connectors talk to a local
server that answers like the provider's API (tests/ingest/fake_api.py).
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time

import pytest

from ingest.sync import source_sync
from ingest.webhooks import webhook_process
from tests.factories import SourceFactory
from tests.ingest.fake_api import FakeApi, Reply, payload
from voc.feedback.models import Source, SyncRun, WebhookDelivery

pytestmark = pytest.mark.django_db

REFUSED = Reply({"errors": [{"code": "unauthorized", "message": "Couldn't authenticate you"}]}, status=401)
BROKEN = Reply("<html>Internal Server Error</html>", status=500)
ATTEMPTS = 5  # ingest.sync retries a failing page this many times in all


@pytest.fixture
def api():
    """A local server on 127.0.0.1 answering like a provider's API, from the replies a test queues."""
    with FakeApi() as fake:
        yield fake


@pytest.fixture
def logs(caplog):
    """Every record of every logger, DEBUG and up."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def secret_env(monkeypatch):
    """Sets environment variables to fresh secret values; returns them by name."""
    values = {}

    def set_secret(name: str) -> str:
        values[name] = f"{name.lower()}-{secrets.token_urlsafe(24)}"
        monkeypatch.setenv(name, values[name])
        return values[name]

    set_secret.values = values
    return set_secret


def logged(caplog) -> str:
    """Everything the records hold: formatted lines and tracebacks, and every attribute of every record."""
    return caplog.text + "\n".join(repr(vars(record)) for record in caplog.records)


def credentials_sent(api) -> list[str]:
    """What the connector sent the API to authenticate: Basic and Bearer headers (a Basic one is base64 of the
    secret, so looking for the secret alone would miss it)."""
    return [request["headers"]["Authorization"].split(" ", 1)[1] for request in api.requests
            if "Authorization" in request["headers"]]


def assert_nowhere(values, *places: str) -> None:
    for value in values:
        for place in places:
            assert value not in place


# --- connectors: one source of each kind, with the path its first request goes to ----------------


def zendesk(api, secret_env):
    secret_env("SECURITY_ZENDESK_TOKEN")
    settings = {"subdomain": "acme-help", "email": "bot@acme.example", "token_env": "SECURITY_ZENDESK_TOKEN"}
    return Source.Kind.ZENDESK, settings, "/api/v2/incremental/tickets/cursor.json"


def intercom(api, secret_env):
    secret_env("SECURITY_INTERCOM_TOKEN")
    return Source.Kind.INTERCOM, {"token_env": "SECURITY_INTERCOM_TOKEN"}, "/conversations/search"


def typeform(api, secret_env):
    secret_env("SECURITY_TYPEFORM_TOKEN")
    return Source.Kind.TYPEFORM, {"form_id": "AbCdEf", "token_env": "SECURITY_TYPEFORM_TOKEN"}, \
        "/forms/AbCdEf/responses"


def hubspot(api, secret_env):
    secret_env("SECURITY_HUBSPOT_TOKEN")
    return Source.Kind.HUBSPOT, {"token_env": "SECURITY_HUBSPOT_TOKEN"}, "/crm/v3/objects/notes/search"


def x(api, secret_env):
    secret_env("SECURITY_X_TOKEN")
    return Source.Kind.TWITTER, {"query": "@acme", "token_env": "SECURITY_X_TOKEN"}, "/2/tweets/search/recent"


def salesforce(api, secret_env):
    secret_env("SECURITY_SF_ID")
    secret_env("SECURITY_SF_SECRET")
    settings = {"login_url": api.url, "client_id_env": "SECURITY_SF_ID", "client_secret_env": "SECURITY_SF_SECRET"}
    return Source.Kind.SALESFORCE, settings, "/services/oauth2/token"


def reddit(api, secret_env):
    secret_env("SECURITY_REDDIT_ID")
    secret_env("SECURITY_REDDIT_SECRET")
    settings = {"subreddit": "acmebank", "client_id_env": "SECURITY_REDDIT_ID",
                "client_secret_env": "SECURITY_REDDIT_SECRET", "token_url": f"{api.url}/api/v1/access_token"}
    return Source.Kind.REDDIT, settings, "/api/v1/access_token"


CONNECTORS = [zendesk, intercom, typeform, hubspot, x, salesforce, reddit]


def connector_source(family, api, secret_env) -> tuple[Source, str]:
    kind, settings, first_path = family(api, secret_env)
    source = SourceFactory(kind=kind, settings={"base_url": api.url, "requests_per_minute": 0, **settings})
    return source, first_path


def assert_no_secret_in_logs_or_errors(logs, api, source, secret_env, *also: str) -> SyncRun:
    run = SyncRun.objects.get(source=source)
    source.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert run.error
    assert source.last_error
    text = logged(logs)
    # The records do hold the request and the failure, so a secret in either would have shown.
    assert any(record.name.startswith("urllib3") for record in logs.records)
    assert f"sync of {source.name} failed" in text
    secret_values = [*secret_env.values.values(), *credentials_sent(api), *also]
    assert secret_values
    assert_nowhere(secret_values, text, run.error, source.last_error)
    return run


@pytest.mark.parametrize("family", CONNECTORS, ids=lambda family: family.__name__)
def test_refused_credentials_leave_no_secret_in_logs_or_stored_errors(logs, api, secret_env, family):
    source, first_path = connector_source(family, api, secret_env)
    api.add(first_path, REFUSED)

    source_sync(source_id=source.pk, sleep=lambda seconds: None)

    run = assert_no_secret_in_logs_or_errors(logs, api, source, secret_env)
    assert "401" in run.error
    source.refresh_from_db()
    assert source.last_error.startswith("Stopped: 401")


@pytest.mark.parametrize("family", CONNECTORS, ids=lambda family: family.__name__)
def test_an_api_failing_on_every_retry_leaves_no_secret_in_logs_or_stored_errors(logs, api, secret_env, family):
    source, first_path = connector_source(family, api, secret_env)
    for _ in range(ATTEMPTS):
        api.add(first_path, BROKEN)

    source_sync(source_id=source.pk, sleep=lambda seconds: None)

    run = assert_no_secret_in_logs_or_errors(logs, api, source, secret_env)
    assert "500" in run.error
    assert len(api.requests) == ATTEMPTS
    assert "retry 4 of 4" in logs.text


@pytest.mark.parametrize(
    ("family", "token_reply", "listing"),
    [(salesforce, "salesforce_token.json", "/services/data/v61.0/query"),
     (reddit, "reddit_token.json", "/r/acmebank/new")],
    ids=["salesforce", "reddit"],
)
def test_an_access_token_the_provider_granted_stays_out_of_logs_when_it_is_refused(
    logs, api, secret_env, family, token_reply, listing
):
    source, token_path = connector_source(family, api, secret_env)
    access_token = f"granted-{secrets.token_urlsafe(24)}"
    api.add(token_path, Reply(payload(token_reply) | {"access_token": access_token, "instance_url": api.url}))
    api.add(listing, REFUSED)

    source_sync(source_id=source.pk, sleep=lambda seconds: None)

    assert f"Bearer {access_token}" in [request["headers"].get("Authorization") for request in api.requests]
    run = assert_no_secret_in_logs_or_errors(logs, api, source, secret_env, access_token)
    assert "401" in run.error


# --- webhooks: how each provider signs a push --------------------------------------------------------


def generic_push(secret: str, source: Source) -> tuple[bytes, dict]:
    body = json.dumps({"external_id": "W-1", "kind": "ticket", "text": "Exports time out"}).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"HTTP_X_VOC_TIMESTAMP": stamp, "HTTP_X_VOC_SIGNATURE": f"sha256={digest}"}


def zendesk_push(secret: str, source: Source) -> tuple[bytes, dict]:
    body = json.dumps({"ticket": {"id": "1", "subject": "Slow", "description": "Exports time out"}}).encode()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()).decode()
    return body, {"HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": stamp, "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": digest}


def intercom_push(secret: str, source: Source) -> tuple[bytes, dict]:
    body = json.dumps(payload("intercom_webhook_conversation_created.json") | {"created_at": int(time.time())})
    body = body.encode()
    return body, {"HTTP_X_HUB_SIGNATURE": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def typeform_push(secret: str, source: Source) -> tuple[bytes, dict]:
    event = payload("typeform_webhook_response.json")
    event["form_response"]["submitted_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(event).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"HTTP_TYPEFORM_SIGNATURE": f"sha256={digest}"}


def hubspot_push(secret: str, source: Source) -> tuple[bytes, dict]:
    body = json.dumps(payload("hubspot_webhook_note_events.json")).encode()
    stamp = str(int(time.time() * 1000))
    signed = b"POST" + f"http://testserver/webhooks/{source.pk}/".encode() + body + stamp.encode()
    digest = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return body, {"HTTP_X_HUBSPOT_SIGNATURE_V3": digest, "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": stamp}


PUSHES = {Source.Kind.WEBHOOK: generic_push, Source.Kind.ZENDESK: zendesk_push, Source.Kind.INTERCOM: intercom_push,
          Source.Kind.TYPEFORM: typeform_push, Source.Kind.HUBSPOT: hubspot_push}


def post(client, source, body: bytes, headers: dict):
    return client.post(f"/webhooks/{source.pk}/", data=body, content_type="application/json", **headers)


@pytest.mark.parametrize("kind", list(PUSHES), ids=str)
def test_a_push_with_a_bad_signature_leaves_neither_the_secret_nor_the_right_signature_anywhere(
    client, logs, secret_env, kind
):
    secret = secret_env("SECURITY_WEBHOOK_SECRET")
    source = SourceFactory(kind=kind, settings={"secret_env": "SECURITY_WEBHOOK_SECRET", "form_id": "AbCdEf"})
    body, forged = PUSHES[kind](f"guessed-{secrets.token_urlsafe(8)}", source)
    _, genuine = PUSHES[kind](secret, source)
    right_signatures = [value for name, value in genuine.items() if "TIMESTAMP" not in name]

    refused = post(client, source, body, forged)

    assert refused.status_code == 401
    assert refused.json()["detail"] == "refused: the signature does not match"
    assert not WebhookDelivery.objects.exists()
    text = logged(logs)
    assert f"webhook for {source.name} refused" in text
    assert_nowhere([secret, *right_signatures], text, refused.content.decode())
    # The same push signed with the secret gets in, so the signatures looked for above are the real ones.
    assert post(client, source, body, genuine).status_code == 202
    assert_nowhere([secret], logged(logs))


def test_a_pushed_note_whose_read_back_is_refused_keeps_a_reason_without_the_token(
    client, api, logs, secret_env, django_capture_on_commit_callbacks
):
    secret, token = secret_env("SECURITY_HUBSPOT_SECRET"), secret_env("SECURITY_HUBSPOT_TOKEN")
    source = SourceFactory(kind=Source.Kind.HUBSPOT, settings={
        "secret_env": "SECURITY_HUBSPOT_SECRET", "token_env": "SECURITY_HUBSPOT_TOKEN", "base_url": api.url,
        "requests_per_minute": 0,
    })
    api.add("/crm/v3/objects/notes/batch/read", REFUSED)
    body, headers = hubspot_push(secret, source)
    assert post(client, source, body, headers).status_code == 202

    delivery = webhook_process(delivery_id=WebhookDelivery.objects.get(source=source).pk)

    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.error.startswith("401")
    assert api.requests[0]["headers"]["Authorization"] == f"Bearer {token}"
    assert_nowhere([secret, token], logged(logs), delivery.error)
