"""Reddit posts come in newest first, page by page back to what the last run saw, each once."""

import datetime as dt

import pytest

from ingest.sync import source_sync
from tests.factories import SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db
NEW = "/r/acmebank/new"
TOKEN = "/api/v1/access_token"


@pytest.fixture
def reddit(api, monkeypatch):
    monkeypatch.setenv("REDDIT_TEST_ID", "client-id")
    monkeypatch.setenv("REDDIT_TEST_SECRET", "client-secret")
    return SourceFactory(
        name="r/acmebank", kind=Source.Kind.REDDIT, reliability_weight=0.5,
        settings={"subreddit": "r/acmebank", "client_id_env": "REDDIT_TEST_ID",
                  "client_secret_env": "REDDIT_TEST_SECRET", "base_url": api.url, "token_url": f"{api.url}{TOKEN}",
                  "requests_per_minute": 0},
    )


def test_posts_are_read_back_to_the_start_and_the_next_run_starts_after_the_newest(api, reddit):
    api.add(TOKEN, Reply(payload("reddit_token.json")))
    api.add(NEW, Reply(payload("reddit_new_page1.json")), when=("after", None))
    api.add(NEW, Reply(payload("reddit_new_page2.json")), when=("after", "t3_1gx1"))
    run = source_sync(source_id=reddit.pk, since=dt.datetime.fromtimestamp(1763500000, dt.UTC))

    assert (run.status, run.pages, run.items_new, run.items_failed) == (SyncRun.Status.DONE, 2, 3, 1)
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["t3_1gx0", "t3_1gx2", "t3_1gx3"]
    logged_out = FeedbackItem.objects.get(external_id="t3_1gx3")
    assert (logged_out.title, logged_out.author_handle) == ("App keeps logging me out", "u/jane_d")
    assert logged_out.text == "Every hour I have to log in again. & yes I updated."
    assert FeedbackItem.objects.get(external_id="t3_1gx2").text == "Fees on transfers??"  # a link post: its title
    token_request, listing_request = api.requests[0], api.requests[1]
    assert token_request["headers"]["Authorization"].startswith("Basic ")
    assert listing_request["headers"]["Authorization"].startswith("Bearer eyJ")
    assert listing_request["headers"]["User-Agent"].startswith("server:voc-connector")
    reddit.refresh_from_db()
    assert reddit.cursor == {"boundary": 1763800000.0}

    # The next run looks back a little past its boundary; what it sees again is stored once.
    api.add(TOKEN, Reply(payload("reddit_token.json")))
    api.add(NEW, Reply(payload("reddit_new_later.json")), when=("after", None))
    api.add(NEW, Reply(payload("reddit_new_page2.json")), when=("after", "t3_1gx3"))
    again = source_sync(source_id=reddit.pk)
    assert (again.items_new, again.items_updated) == (1, 0)
    assert FeedbackItem.objects.count() == 4


def test_a_search_asks_for_the_query_within_the_subreddit(api, reddit):
    Source.objects.filter(pk=reddit.pk).update(settings=reddit.settings | {"query": "fees OR charges"})
    api.add(TOKEN, Reply(payload("reddit_token.json")))
    api.add("/r/acmebank/search", Reply(payload("reddit_new_page2.json")))
    source_sync(source_id=reddit.pk, since=dt.datetime.fromtimestamp(1763500000, dt.UTC))
    asked = api.requests[-1]["query"]
    assert (asked["q"], asked["restrict_sr"], asked["sort"], asked["raw_json"]) == ("fees OR charges", "1", "new", "1")


def test_refused_app_credentials_stop_the_source(api, reddit):
    api.add(TOKEN, Reply({"error": "invalid_grant"}, status=401))
    run = source_sync(source_id=reddit.pk)
    reddit.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert not reddit.enabled
    assert "client-secret" not in reddit.last_error
