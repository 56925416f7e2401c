"""Salesforce tasks on accounts come in by modification time, paged with nextRecordsUrl."""

import datetime as dt

import pytest

from ingest.sync import source_sync
from tests.factories import AccountFactory, SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db
TOKEN, QUERY = "/services/oauth2/token", "/services/data/v61.0/query"
NEXT = "/services/data/v61.0/query/01gRO0000016PIAYA2-2"


@pytest.fixture
def salesforce(api, monkeypatch):
    monkeypatch.setenv("SF_TEST_ID", "3MVG9-client")
    monkeypatch.setenv("SF_TEST_SECRET", "sf-secret")
    return SourceFactory(name="Salesforce calls", kind=Source.Kind.SALESFORCE, settings={
        "login_url": api.url, "client_id_env": "SF_TEST_ID", "client_secret_env": "SF_TEST_SECRET",
        "requests_per_minute": 0,
    })


def token(api):
    return Reply(payload("salesforce_token.json") | {"instance_url": api.url})


def test_tasks_become_sales_notes_on_their_account(api, salesforce, django_capture_on_commit_callbacks):
    acme = AccountFactory(name="Acme", crm_id="001RO000003c3CCC")
    api.add(TOKEN, token(api))
    api.add(QUERY, Reply(payload("salesforce_tasks_page1.json")))
    api.add(NEXT, Reply(payload("salesforce_tasks_page2.json")))
    with django_capture_on_commit_callbacks(execute=True):
        run = source_sync(source_id=salesforce.pk, since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))

    assert (run.status, run.pages, run.items_new, run.items_failed) == (SyncRun.Status.DONE, 2, 2, 1)
    qbr = FeedbackItem.objects.get(external_id="00TRO000001a3AAA")
    assert (qbr.kind, qbr.title, qbr.account) == ("sales_note", "QBR", acme)
    soql = api.requests[1]["query"]["q"]
    assert "FROM Task WHERE AccountId != null AND LastModifiedDate >= 2026-11-01T00:00:00Z" in soql
    assert api.requests[1]["headers"]["Authorization"] == "Bearer 00DRO000000XXXX!AQ4AQFjl2Ve"
    salesforce.refresh_from_db()
    assert salesforce.cursor == {"since": "2026-11-19T09:10:00Z"}


def test_a_resumed_run_whose_query_link_expired_asks_again_from_where_it_was(api, salesforce):
    Source.objects.filter(pk=salesforce.pk).update(cursor={"since": "2026-11-18T14:05:00Z", "next": NEXT})
    api.add(TOKEN, token(api))
    api.add(NEXT, Reply(payload("salesforce_error_invalid_locator.json"), status=400))
    api.add(QUERY, Reply(payload("salesforce_tasks_page2.json")))
    run = source_sync(source_id=salesforce.pk)
    assert (run.status, run.items_new) == (SyncRun.Status.DONE, 1)
    assert "LastModifiedDate >= 2026-11-18T14:05:00Z" in api.requests[-1]["query"]["q"]
