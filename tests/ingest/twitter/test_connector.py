"""Posts on X come in through recent search: paged with next_token, resumed with since_id, handles resolved."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from ingest.sync import source_sync
from tests.factories import ContactFactory, SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db
SEARCH = "/2/tweets/search/recent"
NEXT = "b26v89c19zqg8o3fpzbkk8ew8p4i4ye8t0y4c6ccssbth"


@pytest.fixture
def x_source(api, monkeypatch):
    monkeypatch.setenv("X_TEST_TOKEN", "bearer-secret")
    return SourceFactory(
        name="X mentions", kind=Source.Kind.TWITTER, reliability_weight=0.4,
        settings={"query": "@acme -is:retweet", "token_env": "X_TEST_TOKEN", "base_url": api.url,
                  "requests_per_minute": 0},
    )


def sync(source, **kwargs):
    waits = []
    return source_sync(source_id=source.pk, sleep=waits.append, **kwargs), waits


def test_posts_are_paged_with_next_token_and_the_next_run_starts_after_the_newest(
    api, x_source, django_capture_on_commit_callbacks
):
    ContactFactory(twitter_handle="pebblestudio", account__name="Pebble Studio")
    reset = str(int(time.time()) + 3)
    api.add(SEARCH, Reply({"title": "Too Many Requests"}, status=429, headers={"x-rate-limit-reset": reset}),
            when=("query", "@acme -is:retweet"))
    api.add(SEARCH, Reply(payload("x_search_page1.json")), when=("query", "@acme -is:retweet"))
    api.add(SEARCH, Reply(payload("x_search_page2.json")), when=("next_token", NEXT))
    with django_capture_on_commit_callbacks(execute=True):
        run, waits = sync(x_source)

    assert (run.status, run.pages, run.items_new) == (SyncRun.Status.DONE, 2, 3)
    assert 1 <= waits[0] <= 5  # until the reset X announced
    first = api.requests[-2]
    assert first["headers"]["Authorization"] == "Bearer bearer-secret"
    assert "start_time" in first["query"]
    assert api.requests[-1]["query"]["next_token"] == NEXT
    pebble = FeedbackItem.objects.get(external_id="1859000000000000002")
    assert (pebble.kind, pebble.author_handle, pebble.url) == (
        "social", "@PebbleStudio", "https://x.com/PebbleStudio/status/1859000000000000002")
    assert pebble.account.name == "Pebble Studio"  # through the contact's X handle
    assert FeedbackItem.objects.get(external_id="1859000000000000001").language == "es"
    x_source.refresh_from_db()
    assert x_source.cursor["since_id"] == "1859000000000000003"

    api.add(SEARCH, Reply(payload("x_search_newer.json")), when=("since_id", "1859000000000000003"))
    again, _ = sync(x_source)
    assert again.items_new == 1
    assert FeedbackItem.objects.count() == 4


def test_a_run_with_nothing_new_keeps_its_place(api, x_source):
    Source.objects.filter(pk=x_source.pk).update(
        cursor={"since_id": "1859000000000000003", "checked_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    api.add(SEARCH, Reply(payload("x_search_empty.json")), when=("since_id", "1859000000000000003"))
    run, _ = sync(x_source)
    assert (run.status, run.items_new) == (SyncRun.Status.DONE, 0)
    x_source.refresh_from_db()
    assert x_source.cursor["since_id"] == "1859000000000000003"


def test_after_a_pause_longer_than_the_search_window_it_starts_at_the_windows_edge(api, x_source):
    long_ago = (timezone.now() - dt.timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%SZ")
    Source.objects.filter(pk=x_source.pk).update(cursor={"since_id": "1", "checked_at": long_ago})
    api.add(SEARCH, Reply(payload("x_search_empty.json")), when=("query", "@acme -is:retweet"))
    run, _ = sync(x_source)
    assert run.status == SyncRun.Status.DONE
    asked = api.requests[-1]["query"]
    assert "since_id" not in asked
    edge = dt.datetime.fromisoformat(asked["start_time"].replace("Z", "+00:00"))
    assert timezone.now() - dt.timedelta(days=7) < edge < timezone.now() - dt.timedelta(days=6, hours=23)


def test_a_backfill_cannot_reach_past_the_search_window(api, x_source):
    api.add(SEARCH, Reply(payload("x_search_empty.json")), when=("query", "@acme -is:retweet"))
    sync(x_source, since=timezone.now() - dt.timedelta(days=30))
    edge = dt.datetime.fromisoformat(api.requests[-1]["query"]["start_time"].replace("Z", "+00:00"))
    assert edge > timezone.now() - dt.timedelta(days=7)
