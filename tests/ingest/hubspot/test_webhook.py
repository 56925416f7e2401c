"""A HubSpot push gets in when signed with the app's secret (v3) and fresh; its note events are read back as notes."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from ingest.hubspot.webhook import signed_uri
from tests.factories import AccountFactory, SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, WebhookDelivery

pytestmark = pytest.mark.django_db
SECRET = "hs-app-client-secret"
BATCH_READ = "/crm/v3/objects/notes/batch/read"
ASSOCIATIONS = "/crm/v4/associations/notes/companies/batch/read"
BODY = json.dumps(payload("hubspot_webhook_note_events.json")).encode()


@pytest.fixture
def hubspot(api, monkeypatch):
    monkeypatch.setenv("HUBSPOT_TEST_SECRET", SECRET)
    monkeypatch.setenv("HUBSPOT_TEST_TOKEN", "pat-na1-secret")
    return SourceFactory(name="HubSpot push", kind=Source.Kind.HUBSPOT, settings={
        "secret_env": "HUBSPOT_TEST_SECRET", "token_env": "HUBSPOT_TEST_TOKEN", "base_url": api.url,
        "requests_per_minute": 0,
    })


def hubspot_signed(url: str, body: bytes, *, method: str = "POST", timestamp_ms: int | str | None = None,
                   secret: str = SECRET) -> dict:
    stamp = str(timestamp_ms or int(time.time() * 1000))
    digest = hmac.new(secret.encode(), method.encode() + url.encode() + body + stamp.encode(), hashlib.sha256).digest()
    return {"HTTP_X_HUBSPOT_SIGNATURE_V3": base64.b64encode(digest).decode(), "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": stamp}


def post(client, source, body: bytes, headers: dict, *, query: str = ""):
    return client.post(f"/webhooks/{source.pk}/{query}", data=body, content_type="application/json", **headers)


def url_of(source, query: str = "") -> str:
    return f"http://testserver/webhooks/{source.pk}/{query}"


def test_a_signed_note_event_is_read_back_as_sales_feedback_on_its_companys_account(
    client, api, hubspot, django_capture_on_commit_callbacks
):
    pebble = AccountFactory(name="Pebble Studio", crm_id="9001")
    api.add(BATCH_READ, Reply(payload("hubspot_webhook_notes_batch_read.json")))
    api.add(ASSOCIATIONS, Reply(payload("hubspot_note_companies_page1.json")))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, hubspot, BODY, hubspot_signed(url_of(hubspot), BODY))

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.key == "id:3816279340,3816279341,3816279342"
    assert (delivery.status, delivery.items_new) == ("processed", 1)
    item = FeedbackItem.objects.get()
    assert (item.external_id, item.kind, item.account) == ("5101", "sales_note", pebble)
    assert item.text == "Call with Pebble: they need SSO before renewal & want audit logs."
    read = api.requests[0]
    assert read["headers"]["Authorization"] == "Bearer pat-na1-secret"
    # Two events about one note read it once; the contact event is not asked about.
    assert read["json"]["inputs"] == [{"id": "5101"}]
    assert "hs_note_body" in read["json"]["properties"]
    assert api.requests[1]["json"] == {"inputs": [{"id": "5101"}]}


def test_a_push_with_no_note_events_asks_hubspot_nothing(client, api, hubspot, django_capture_on_commit_callbacks):
    body = json.dumps([event for event in json.loads(BODY) if event["objectTypeId"] != "0-46"]).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, hubspot, body, hubspot_signed(url_of(hubspot), body)).status_code == 202

    assert WebhookDelivery.objects.get().status == "processed"
    assert not api.requests
    assert not FeedbackItem.objects.exists()


def test_a_replayed_push_is_a_duplicate_and_creates_nothing_new(
    client, api, hubspot, django_capture_on_commit_callbacks
):
    api.add(BATCH_READ, Reply(payload("hubspot_webhook_notes_batch_read.json")))
    api.add(ASSOCIATIONS, Reply(payload("hubspot_note_companies_page1.json")))
    headers = hubspot_signed(url_of(hubspot), BODY)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, hubspot, BODY, headers)
        replay = post(client, hubspot, BODY, headers)

    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert WebhookDelivery.objects.count() == 1
    assert FeedbackItem.objects.count() == 1
    assert len(api.requests) == 2  # the replay was not read back


def test_hubspots_retry_of_a_batch_is_a_duplicate_though_its_attempt_number_changed(client, hubspot):
    assert post(client, hubspot, BODY, hubspot_signed(url_of(hubspot), BODY)).status_code == 202
    retried = json.dumps([event | {"attemptNumber": 1} for event in json.loads(BODY)]).encode()
    again = post(client, hubspot, retried, hubspot_signed(url_of(hubspot), retried))
    assert again.json()["status"] == "duplicate"


def test_a_large_batch_is_keyed_by_the_digest_of_its_event_ids(client, hubspot):
    events = [json.loads(BODY)[2] | {"eventId": 3816279400 + n} for n in range(100)]
    body = json.dumps(events).encode()
    assert post(client, hubspot, body, hubspot_signed(url_of(hubspot), body)).status_code == 202
    key = WebhookDelivery.objects.get().key
    assert key.startswith("ids:")
    assert len(key) <= 128


@pytest.mark.parametrize(
    "signing",
    [
        pytest.param({"secret": "guessed"}, id="forged signature"),
        pytest.param({"method": "PUT"}, id="signed for another method"),
        pytest.param({"url": "https://elsewhere.example/webhooks/"}, id="signed for another url"),
        pytest.param({"body": BODY.replace(b"5101", b"5199")}, id="body changed after signing"),
        pytest.param(None, id="unsigned"),
    ],
)
def test_a_forged_or_unsigned_push_is_refused_and_nothing_is_stored(client, api, hubspot, signing):
    headers = {}
    if signing is not None:
        signing = {"url": url_of(hubspot), "body": BODY} | signing
        headers = hubspot_signed(signing.pop("url"), signing.pop("body"), **signing)
    response = post(client, hubspot, BODY, headers)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert not FeedbackItem.objects.exists()
    assert not api.requests


@pytest.mark.parametrize(
    "timestamp_ms",
    [
        pytest.param(int((time.time() - 6 * 60) * 1000), id="6 minutes old"),
        pytest.param(int(time.time()), id="in seconds, not milliseconds"),
    ],
)
def test_a_stale_push_is_refused_though_its_signature_matches(client, hubspot, timestamp_ms):
    response = post(client, hubspot, BODY, hubspot_signed(url_of(hubspot), BODY, timestamp_ms=timestamp_ms))
    assert response.status_code == 401
    assert "5 minutes" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_a_push_with_an_unreadable_timestamp_is_refused(client, hubspot):
    headers = hubspot_signed(url_of(hubspot), BODY, timestamp_ms="yesterday")
    response = post(client, hubspot, BODY, headers)
    assert response.status_code == 401
    assert "unreadable" in response.json()["detail"]


def test_the_url_is_checked_as_hubspot_signs_it_with_its_documented_escapes_decoded(client, hubspot):
    query = "?portal=62515%3Aeu%2Fwest&note=a%20b%26c"
    signed_as = url_of(hubspot, "?portal=62515:eu/west&note=a%20b%26c")
    assert post(client, hubspot, BODY, hubspot_signed(signed_as, BODY), query=query).status_code == 202


def test_only_the_escapes_hubspot_decodes_are_decoded():
    assert signed_uri("https://x.example/h?a=%3a%2F%3F%40%21%24%27%28%29%2A%2C%3B") == "https://x.example/h?a=:/?@!$'()*,;"
    assert signed_uri("https://x.example/h?a=%20%26%3D%25%2B") == "https://x.example/h?a=%20%26%3D%25%2B"
