"""Intercom conversations come in by update time through conversation search, resumably, once each."""

import datetime as dt

import pytest

from ingest.sync import source_sync
from tests.factories import AccountDomainFactory, SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db

SEARCH = "/conversations/search"
SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
NEXT_PAGE = "WzE3OTQ5OTc4MDAwMDAsMjE1NDY4MDAyLDJd"
LAST_CHANGE = 1795088700  # updated_at of the newest conversation on page 2


@pytest.fixture
def intercom(api, monkeypatch):
    monkeypatch.setenv("INTERCOM_TEST_TOKEN", "dG9rOmFjY2Vzcy10b2tlbg==")
    return SourceFactory(
        name="Intercom", kind=Source.Kind.INTERCOM,
        settings={"token_env": "INTERCOM_TEST_TOKEN", "base_url": api.url, "requests_per_minute": 0,
                  "page_size": 2, "workspace_id": "ecahpwf5"},
    )


def sync(source, **kwargs):
    waits = []
    run = source_sync(source_id=source.pk, sleep=waits.append, **kwargs)
    return run, waits


def script_two_pages(api, *, between: Reply | None = None):
    """Replies in the order they are asked for: page 1, optionally a failure, then page 2 (the last)."""
    for reply in filter(None, [Reply(payload("intercom_conversations_page1.json")), between,
                               Reply(payload("intercom_conversations_page2.json"))]):
        api.add(SEARCH, reply)


def test_conversations_become_tickets_with_the_customers_email_and_opening_message(
    api, intercom, django_capture_on_commit_callbacks
):
    AccountDomainFactory(domain="pebble.example", account__name="Pebble Studio")
    script_two_pages(api)
    with django_capture_on_commit_callbacks(execute=True):  # processing: account resolution, embedding
        run, _ = sync(intercom, since=SINCE)

    assert (run.status, run.pages, run.items_new, run.items_failed) == (SyncRun.Status.DONE, 2, 2, 2)
    items = {item.external_id: item for item in FeedbackItem.objects.all()}
    assert sorted(items) == ["215468001", "215468003"]  # 002 is a bare screenshot, 004 an outbound message
    transfer = items["215468001"]
    assert transfer.kind == "ticket"
    assert transfer.text == (
        "Die Überweisung ist schon wieder fehlgeschlagen — das dritte Mal diese Woche 😡\nKönnen Sie das bitte prüfen?"
    )
    assert (transfer.author_email, transfer.author_name) == ("juergen@pebble.example", "Jürgen Weiß")
    assert transfer.occurred_at == dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
    assert transfer.url == "https://app.intercom.com/a/inbox/ecahpwf5/inbox/conversation/215468001"
    assert transfer.metadata["tags"] == ["payments"]
    assert transfer.metadata["state"] == "open"
    transfer.refresh_from_db()
    assert transfer.account.name == "Pebble Studio"  # resolved by the contact's email domain
    export = items["215468003"]
    assert export.title == "Export to CSV & Excel"
    assert export.text == (
        "Hi! Could you add an export to CSV?\nWe need it for month-end & the auditors:\ninvoices\nrefunds"
    )

    first, second = api.requests
    assert first["headers"]["Authorization"] == "Bearer dG9rOmFjY2Vzcy10b2tlbg=="
    assert first["headers"]["Intercom-Version"] == "2.11"
    assert first["json"] == {
        "query": {"field": "updated_at", "operator": ">", "value": int(SINCE.timestamp()) - 1},
        "sort": {"field": "updated_at", "order": "ascending"},
        "pagination": {"per_page": 2},
    }
    assert second["json"]["pagination"] == {"per_page": 2, "starting_after": NEXT_PAGE}
    assert second["json"]["query"] == first["json"]["query"]  # one query, paged through
    intercom.refresh_from_db()
    assert intercom.cursor == {"updated_since": LAST_CHANGE}


def test_a_429_waits_what_intercom_asked_and_nothing_is_lost_or_doubled(api, intercom):
    script_two_pages(api, between=Reply(payload("intercom_error_429.json"), status=429, headers={"Retry-After": "7"}))
    run, waits = sync(intercom, since=SINCE)

    assert (run.status, run.pages, run.items_new) == (SyncRun.Status.DONE, 2, 2)
    assert len(waits) == 1
    assert 7 <= waits[0] < 8  # what the API asked for, plus jitter
    assert [request["json"]["pagination"].get("starting_after") for request in api.requests] == [
        None, NEXT_PAGE, NEXT_PAGE,  # the refused page is asked for again, from the same place
    ]
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["215468001", "215468003"]


def test_a_sync_killed_between_pages_resumes_from_its_cursor(api, intercom):
    script_two_pages(api)
    run, _ = sync(intercom, since=SINCE, max_pages=1)  # as if the worker died after storing page 1
    intercom.refresh_from_db()
    assert intercom.cursor == {"updated_since": int(SINCE.timestamp()), "starting_after": NEXT_PAGE,
                               "latest": 1794997800}

    resumed, _ = sync(intercom)
    assert (resumed.pages, resumed.items_new) == (1, 1)
    assert FeedbackItem.objects.count() == 2
    intercom.refresh_from_db()
    assert intercom.cursor == {"updated_since": LAST_CHANGE}


def test_a_sync_with_nothing_new_keeps_its_cursor(api, intercom):
    script_two_pages(api)
    sync(intercom, since=SINCE)
    api.add(SEARCH, Reply(payload("intercom_conversations_empty.json")))

    run, _ = sync(intercom)

    assert (run.status, run.pages, run.items_new, run.items_updated) == (SyncRun.Status.DONE, 1, 0, 0)
    assert api.requests[-1]["json"]["query"]["value"] == LAST_CHANGE - 1  # the last second again: ties are not lost
    intercom.refresh_from_db()
    assert intercom.cursor == {"updated_since": LAST_CHANGE}


def test_a_conversation_retitled_and_tagged_upstream_updates_its_item(api, intercom):
    script_two_pages(api)
    sync(intercom, since=SINCE)
    api.add(SEARCH, Reply(payload("intercom_conversations_edited.json")))

    run, _ = sync(intercom)

    assert (run.items_new, run.items_updated) == (0, 1)
    item = FeedbackItem.objects.get(external_id="215468001")
    assert item.title == "Repeated transfer failures"
    assert item.metadata["tags"] == ["payments", "escalated"]
    assert item.metadata["state"] == "closed"
    assert FeedbackItem.objects.count() == 2
    intercom.refresh_from_db()
    assert intercom.cursor == {"updated_since": 1795158000}


def test_refused_credentials_stop_the_source_with_the_reason_and_no_retries(api, intercom):
    api.add(SEARCH, Reply(payload("intercom_error_401.json"), status=401))
    run, waits = sync(intercom, since=SINCE)

    assert run.status == SyncRun.Status.FAILED
    assert waits == []
    assert len(api.requests) == 1
    intercom.refresh_from_db()
    assert not intercom.enabled
    assert intercom.last_error.startswith("Stopped: 401")
    assert "dG9rOmFjY2Vzcy10b2tlbg==" not in intercom.last_error
    assert not FeedbackItem.objects.exists()


def test_a_missing_token_variable_is_a_clear_permanent_error(intercom, monkeypatch):
    monkeypatch.delenv("INTERCOM_TEST_TOKEN")
    run, _ = sync(intercom, since=SINCE)
    intercom.refresh_from_db()
    assert "environment variable INTERCOM_TEST_TOKEN" in run.error
    assert not intercom.enabled
