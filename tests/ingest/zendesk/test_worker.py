"""A real Celery worker on Redis syncs Zendesk from a local server that answers like the API, faults included."""

import datetime as dt
import os
import signal

import pytest
from django.utils import timezone

from ingest.sync import source_sync
from ingest.tasks import source_sync_task
from tests.factories import SourceFactory
from tests.ingest.fake_api import Reply, payload
from tests.ingest.zendesk.test_connector import EXPORT, FIRST, SECOND
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
START = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def token(monkeypatch):
    """Set before the worker starts, so that it inherits it."""
    monkeypatch.setenv("ZENDESK_TEST_TOKEN", "secret-token")


def zendesk_source(api) -> Source:
    return SourceFactory(
        name="Zendesk", kind=Source.Kind.ZENDESK,
        cursor={"start_time": int(START.timestamp())},
        settings={"subdomain": "acme-help", "email": "bot@acme.example", "token_env": "ZENDESK_TEST_TOKEN",
                  "base_url": api.url, "requests_per_minute": 0},
    )


def test_the_worker_syncs_every_page_through_a_429_and_a_500(token, api, celery_worker, wait_for):
    start = str(int(START.timestamp()))
    api.add(EXPORT, Reply({"error": "APIRateLimitExceeded"}, status=429, headers={"Retry-After": "1"}),
            when=("start_time", start))
    api.add(EXPORT, Reply(payload("zendesk_tickets_page1.json")), when=("start_time", start))
    api.add(EXPORT, Reply("<html>Internal error</html>", status=500), when=("cursor", FIRST))
    api.add(EXPORT, Reply(payload("zendesk_tickets_page2.json")), when=("cursor", FIRST))
    api.add(EXPORT, Reply(payload("zendesk_tickets_end.json")), when=("cursor", SECOND))
    source = zendesk_source(api)

    source_sync_task.delay(source.pk)

    wait_for(lambda: SyncRun.objects.filter(source=source).exclude(status=SyncRun.Status.RUNNING).exists(),
             timeout=90, what="the worker to finish the sync")
    run = SyncRun.objects.get(source=source)
    assert (run.status, run.pages, run.items_new, run.items_failed) == (SyncRun.Status.DONE, 3, 3, 2), run.error
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["1001", "1002", "1004"]
    assert len(api.requests) == 5


def test_a_worker_killed_between_pages_leaves_a_sync_that_resumes_without_gap_or_duplicate(
    token, api, celery_worker, wait_for
):
    start = str(int(START.timestamp()))
    api.add(EXPORT, Reply(payload("zendesk_tickets_page1.json")), when=("start_time", start))
    api.add(EXPORT, Reply(payload("zendesk_tickets_page2.json"), delay=30), when=("cursor", FIRST))  # never seen
    source = zendesk_source(api)

    source_sync_task.delay(source.pk)
    wait_for(lambda: FeedbackItem.objects.filter(source=source).count() == 2 and len(api.requests) == 2,
             timeout=60, what="page 1 stored and page 2 asked for")
    os.kill(celery_worker.pid, signal.SIGKILL)
    celery_worker.wait(timeout=10)

    source.refresh_from_db()
    assert source.cursor == {"after_cursor": FIRST}
    # The dead worker's claim lapses; here we let it lapse now instead of in ten minutes.
    Source.objects.filter(pk=source.pk).update(sync_lease_until=timezone.now() - dt.timedelta(seconds=1))
    api.add(EXPORT, Reply(payload("zendesk_tickets_page2.json")), when=("cursor", FIRST))
    api.add(EXPORT, Reply(payload("zendesk_tickets_end.json")), when=("cursor", SECOND))

    resumed = source_sync(source_id=source.pk)

    assert resumed.status == SyncRun.Status.DONE
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["1001", "1002", "1004"]
