"""For each family of connector, a real Celery worker on Redis syncs from a local server that answers like the
API, through a 429 with Retry-After and a 500, and the database ends with exactly the expected items."""

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
import requests

from ingest.tasks import source_sync_task
from tests.factories import SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun, WebhookDelivery

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
BUSY = Reply({"error": "rate limited"}, status=429, headers={"Retry-After": "1"})
BROKEN = Reply("<html>Internal Server Error</html>", status=500)


@pytest.fixture
def secrets(monkeypatch):
    """Set before the worker starts, so that it inherits them."""
    for name in ("X_TEST_TOKEN", "TYPEFORM_TEST_TOKEN", "SF_TEST_ID", "SF_TEST_SECRET", "WEBHOOK_TEST_SECRET"):
        monkeypatch.setenv(name, f"{name.lower()}-value")


def social(api):
    search = "/2/tweets/search/recent"
    for reply in (BUSY, Reply(payload("x_search_page1.json"))):
        api.add(search, reply, when=("query", "@acme"))
    for reply in (BROKEN, Reply(payload("x_search_page2.json"))):
        api.add(search, reply, when=("next_token", "b26v89c19zqg8o3fpzbkk8ew8p4i4ye8t0y4c6ccssbth"))
    settings = {"query": "@acme", "token_env": "X_TEST_TOKEN", "base_url": api.url, "requests_per_minute": 0}
    return Source.Kind.TWITTER, settings, ["1859000000000000001", "1859000000000000002", "1859000000000000003"]


def survey(api):
    responses = "/forms/AbCdEf/responses"
    page2 = payload("typeform_responses_page2.json")
    for reply in (BUSY, Reply(payload("typeform_responses_page1.json"))):
        api.add(responses, reply, when=("since", "2026-11-01T00:00:00Z"))
    for reply in (BROKEN, Reply(page2)):
        api.add(responses, reply, when=("since", "2026-11-20T11:00:05Z"))
    api.add(responses, Reply(page2 | {"items": page2["items"][1:]}), when=("since", "2026-11-21T09:30:05Z"))
    settings = {"form_id": "AbCdEf", "token_env": "TYPEFORM_TEST_TOKEN", "base_url": api.url,
                "requests_per_minute": 0, "page_size": 2}
    return Source.Kind.TYPEFORM, settings, ["t1", "t3"]


def crm(api):
    api.add("/services/oauth2/token", Reply(payload("salesforce_token.json") | {"instance_url": api.url}))
    for reply in (BUSY, Reply(payload("salesforce_tasks_page1.json"))):
        api.add("/services/data/v61.0/query", reply)
    for reply in (BROKEN, Reply(payload("salesforce_tasks_page2.json"))):
        api.add("/services/data/v61.0/query/01gRO0000016PIAYA2-2", reply)
    settings = {"login_url": api.url, "client_id_env": "SF_TEST_ID", "client_secret_env": "SF_TEST_SECRET",
                "requests_per_minute": 0}
    return Source.Kind.SALESFORCE, settings, ["00TRO000001a1AAA", "00TRO000001a3AAA"]


@pytest.mark.parametrize("family", [social, survey, crm], ids=["social (X)", "survey (Typeform)", "CRM (Salesforce)"])
def test_the_worker_syncs_a_source_of_each_family_through_a_429_and_a_500(secrets, api, celery_worker, wait_for,
                                                                        family):
    kind, settings, expected = family(api)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    cursor = {Source.Kind.TWITTER: {"start_time": "2026-11-19T00:00:00Z", "checked_at": _now()},
              Source.Kind.TYPEFORM: {"since": "2026-11-01T00:00:00Z"},
              Source.Kind.SALESFORCE: {"since": start.strftime("%Y-%m-%dT%H:%M:%SZ")}}[kind]
    source = SourceFactory(kind=kind, settings=settings, cursor=cursor)

    source_sync_task.delay(source.pk)

    wait_for(lambda: SyncRun.objects.filter(source=source).exclude(status=SyncRun.Status.RUNNING).exists(),
             timeout=90, what="the worker to finish the sync")
    run = SyncRun.objects.get(source=source)
    assert run.status == SyncRun.Status.DONE, run.error
    assert sorted(FeedbackItem.objects.filter(source=source).values_list("external_id", flat=True)) == expected


def test_the_worker_processes_a_signed_webhook_it_is_handed(secrets, celery_worker, wait_for, live_server):
    source = SourceFactory(kind=Source.Kind.WEBHOOK, settings={"secret_env": "WEBHOOK_TEST_SECRET"})
    body = json.dumps({"external_id": "W-1", "kind": "ticket", "text": "Exports time out on big accounts"}).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(b"webhook_test_secret-value", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    response = requests.post(f"{live_server.url}/webhooks/{source.pk}/", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Voc-Timestamp": stamp, "X-Voc-Signature": f"sha256={signature}",
    })
    assert response.status_code == 202
    wait_for(lambda: WebhookDelivery.objects.filter(source=source, status="processed").exists(), timeout=60,
             what="the worker to process the delivery")
    assert FeedbackItem.objects.get(source=source).external_id == "W-1"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
