"""HubSpot notes come in by modification time, as sales notes tied to the account of their company."""

import datetime as dt

import pytest

from ingest.sync import source_sync
from tests.factories import AccountFactory, SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db
SEARCH = "/crm/v3/objects/notes/search"
ASSOCIATIONS = "/crm/v4/associations/notes/companies/batch/read"


@pytest.fixture
def hubspot(api, monkeypatch):
    monkeypatch.setenv("HUBSPOT_TEST_TOKEN", "pat-na1-secret")
    return SourceFactory(name="HubSpot notes", kind=Source.Kind.HUBSPOT,
                         settings={"token_env": "HUBSPOT_TEST_TOKEN", "base_url": api.url, "requests_per_minute": 0})


def test_notes_become_sales_feedback_on_their_companys_account(api, hubspot, django_capture_on_commit_callbacks):
    pebble = AccountFactory(name="Pebble Studio", crm_id="9001")
    api.add(SEARCH, Reply(payload("hubspot_notes_page1.json")))
    api.add(ASSOCIATIONS, Reply(payload("hubspot_note_companies_page1.json")))
    api.add(SEARCH, Reply(payload("hubspot_notes_page2.json")), when=("after", "2"))
    api.add(ASSOCIATIONS, Reply(payload("hubspot_note_companies_page2.json")))
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        run = source_sync(source_id=hubspot.pk, since=since)

    assert (run.status, run.pages, run.items_new, run.items_failed) == (SyncRun.Status.DONE, 2, 2, 1)
    sso = FeedbackItem.objects.get(external_id="5101")
    assert sso.kind == "sales_note"
    assert sso.text == "Call with Pebble: they need SSO before renewal & want audit logs."
    assert sso.account == pebble  # the note's company id is the account's CRM id
    search = api.requests[0]
    assert search["headers"]["Authorization"] == "Bearer pat-na1-secret"
    assert search["json"]["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(int(since.timestamp() * 1000)),
    }
    assert api.requests[1]["json"] == {"inputs": [{"id": "5101"}, {"id": "5102"}]}
    hubspot.refresh_from_db()
    assert hubspot.cursor == {"since_ms": int(dt.datetime(2026, 11, 19, 9, 10, tzinfo=dt.UTC).timestamp() * 1000)}
