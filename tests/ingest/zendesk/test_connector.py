"""Zendesk tickets come in page by page from the incremental export, resumably, once each."""

import pytest

from ingest.sync import source_sync
from tests.factories import AccountDomainFactory, SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db

EXPORT = "/api/v2/incremental/tickets/cursor.json"
FIRST, SECOND = "MTc2MjA3NDc2NC4wfHwxMDAzfA==", "MTc2MjE4NTYwMC4wfHwxMDA1fA=="


@pytest.fixture
def zendesk(api, monkeypatch):
    monkeypatch.setenv("ZENDESK_TEST_TOKEN", "secret-token")
    return SourceFactory(
        name="Zendesk", kind=Source.Kind.ZENDESK,
        settings={"subdomain": "acme-help", "email": "bot@acme.example", "token_env": "ZENDESK_TEST_TOKEN",
                  "base_url": api.url, "requests_per_minute": 0},
    )


def script_three_pages(api, *, first_reply: Reply | None = None, second_reply: Reply | None = None):
    for reply in filter(None, [first_reply, Reply(payload("zendesk_tickets_page1.json"))]):
        api.add(EXPORT, reply, when=("start_time", "1762000000"))
    for reply in filter(None, [second_reply, Reply(payload("zendesk_tickets_page2.json"))]):
        api.add(EXPORT, reply, when=("cursor", FIRST))
    api.add(EXPORT, Reply(payload("zendesk_tickets_end.json")), when=("cursor", SECOND))


def sync(source, **kwargs):
    waits = []
    run = source_sync(source_id=source.pk, sleep=waits.append, **kwargs)
    return run, waits


@pytest.fixture
def since():
    import datetime as dt

    return dt.datetime.fromtimestamp(1762000000, dt.UTC)


def test_tickets_become_feedback_with_the_requesters_email_and_the_first_comment(
    api, zendesk, since, django_capture_on_commit_callbacks
):
    AccountDomainFactory(domain="pebble.example", account__name="Pebble Studio")
    script_three_pages(api)
    with django_capture_on_commit_callbacks(execute=True):  # processing: account resolution, embedding
        run, _ = sync(zendesk, since=since)

    assert (run.status, run.pages, run.items_new, run.items_failed) == (SyncRun.Status.DONE, 3, 3, 2)
    items = {item.external_id: item for item in FeedbackItem.objects.all()}
    assert sorted(items) == ["1001", "1002", "1004"]  # 1003 was deleted upstream, 1005 has no text
    top_up = items["1002"]
    assert top_up.title == "Top-up failed <b>again</b>"
    assert "dritte Mal diese Woche 😡" in top_up.text
    assert top_up.author_email == "juergen@pebble.example"
    assert top_up.url == f"{api.url}/agent/tickets/1002"
    assert top_up.metadata["status"] == "open"
    top_up.refresh_from_db()
    assert top_up.account.name == "Pebble Studio"  # resolved by the requester's email domain
    assert api.requests[0]["headers"]["User-Agent"].startswith("voc-connector/")
    assert api.requests[0]["headers"]["Authorization"].startswith("Basic ")
    assert api.requests[0]["query"]["include"] == "users"


def test_a_429_and_a_500_slow_the_sync_down_and_nothing_is_lost_or_doubled(api, zendesk, since):
    script_three_pages(
        api,
        first_reply=Reply({"error": "APIRateLimitExceeded"}, status=429, headers={"Retry-After": "7"}),
        second_reply=Reply("<html>Bad gateway</html>", status=502),
    )
    run, waits = sync(zendesk, since=since)

    assert run.status == SyncRun.Status.DONE
    assert 7 <= waits[0] < 8  # what the API asked for, plus jitter
    assert len(waits) == 2
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["1001", "1002", "1004"]
    zendesk.refresh_from_db()
    assert zendesk.cursor == {"after_cursor": SECOND}


def test_a_sync_killed_between_pages_resumes_from_its_cursor_without_gap_or_duplicate(api, zendesk, since):
    script_three_pages(api)
    run, _ = sync(zendesk, since=since, max_pages=1)  # as if the worker died after storing page 1
    assert run.pages == 1
    zendesk.refresh_from_db()
    assert zendesk.cursor == {"after_cursor": FIRST}

    resumed, _ = sync(zendesk)
    assert resumed.pages == 2
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["1001", "1002", "1004"]
    assert [request["query"].get("cursor") for request in api.requests] == [None, FIRST, SECOND]


def test_a_ticket_edited_upstream_updates_its_item(api, zendesk, since):
    script_three_pages(api)
    sync(zendesk, since=since)
    api.add(EXPORT, Reply(payload("zendesk_tickets_edited.json")), when=("cursor", SECOND))

    run, _ = sync(zendesk)

    assert (run.items_new, run.items_updated) == (0, 1)
    item = FeedbackItem.objects.get(external_id="1001")
    assert item.text.endswith("Now it is three weeks.")
    assert item.metadata["tags"] == ["card", "escalated"]
    assert FeedbackItem.objects.count() == 3


def test_refused_credentials_stop_the_source_with_the_reason_and_no_retries(api, zendesk, since):
    api.add(EXPORT, Reply(payload("zendesk_error_401.json"), status=401))
    run, waits = sync(zendesk, since=since)

    assert run.status == SyncRun.Status.FAILED
    assert waits == []
    assert len(api.requests) == 1
    zendesk.refresh_from_db()
    assert not zendesk.enabled
    assert zendesk.last_error.startswith("Stopped: 401")
    assert "secret-token" not in zendesk.last_error


def test_a_missing_token_variable_is_a_clear_permanent_error(zendesk, monkeypatch, since):
    monkeypatch.delenv("ZENDESK_TEST_TOKEN")
    run, _ = sync(zendesk, since=since)
    zendesk.refresh_from_db()
    assert "environment variable ZENDESK_TEST_TOKEN" in run.error
    assert not zendesk.enabled
