import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from tests.factories import ContactFactory, FeedbackItemFactory, SourceFactory
from voc.feedback import pipeline
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.pipeline import PROCESS_CHUNK
from voc.feedback.services import feedback_ingest, feedback_ingest_batch
from voc.feedback.tasks import feedback_process_task, feedback_sweep_task

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# --- With a real worker on Redis (PostgreSQL + Redis only) -----------------------------------------------


def worker_log() -> str:
    # The celery_worker fixture logs to var/<its queue>.log and points the app at that queue meanwhile.
    return (PROJECT_ROOT / "var" / f"{celery_app.conf.task_default_queue}.log").read_text()


def finished_process_tasks() -> list[int]:
    """What each feedback_process_task that the worker finished returned (items processed)."""
    return [
        int(count)
        for count in re.findall(r"feedback_process_task\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (\d+)", worker_log())
    ]


@pytest.mark.services
def test_the_worker_processes_an_ingested_item_and_resolves_its_account(celery_worker, wait_for):
    contact = ContactFactory(email="ana@bank.example")
    source = SourceFactory(name="support", kind=Source.Kind.ZENDESK)

    result = feedback_ingest(
        source=source, record={"external_id": "Z-1", "text": "Card declined twice", "author_email": "Ana@Bank.example"}
    )

    wait_for(
        lambda: FeedbackItem.objects.filter(pk=result.item_id, status=FeedbackItem.Status.PROCESSED).exists(),
        timeout=60,
        what="the worker to process the item",
    )
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert item.attempts == 1
    assert item.last_error == ""
    assert (item.account, item.contact, item.resolved_by) == (contact.account, contact, "contact_email")
    assert item.processed_at is not None


@pytest.mark.services
def test_a_batch_of_600_items_is_processed_by_two_tasks(celery_worker, wait_for):
    source = SourceFactory(name="import", kind=Source.Kind.IMPORT)
    records = [{"external_id": f"row-{number}", "text": f"Export is slow ({number})"} for number in range(600)]

    results = feedback_ingest_batch(source=source, records=records, default_kind=FeedbackItem.Kind.SURVEY)

    assert {result.status for result in results} == {"created"}
    wait_for(
        lambda: not FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING).exists(),
        timeout=120,
        what="the worker to process 600 items",
    )
    wait_for(lambda: len(finished_process_tasks()) == 2, timeout=30, what="two finished tasks in the worker log")
    assert sorted(finished_process_tasks()) == [600 - PROCESS_CHUNK, PROCESS_CHUNK]
    assert FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED, attempts=1).count() == 600


# --- In-process (any database) ----------------------------------------------------------------------------


@pytest.fixture
def poison_item(db, monkeypatch):
    """An item whose processing always raises; every other item processes normally."""
    poison = FeedbackItemFactory(text="this one breaks the pipeline")
    real_embed = pipeline.embeddings_for_texts

    def embed(texts):
        if any("breaks the pipeline" in text for text in texts):
            raise ValueError("embedding model returned NaN")
        return real_embed(texts)

    monkeypatch.setattr(pipeline, "embeddings_for_texts", embed)
    return poison


def test_a_failing_item_records_its_error_and_attempt_and_stays_pending(poison_item):
    healthy = FeedbackItemFactory()

    processed = feedback_process_task.delay([poison_item.pk, healthy.pk]).get()

    poison_item.refresh_from_db()
    healthy.refresh_from_db()
    assert processed == 1
    assert (poison_item.status, poison_item.attempts) == (FeedbackItem.Status.PENDING, 1)
    assert poison_item.last_error == "ValueError: embedding model returned NaN"
    assert (healthy.status, healthy.attempts) == (FeedbackItem.Status.PROCESSED, 1)


def test_a_poison_item_is_parked_as_failed_after_the_last_attempt_without_blocking_others(poison_item, settings):
    settings.VOC_PROCESS_MAX_ATTEMPTS = 3
    for _ in range(2):
        feedback_process_task.delay([poison_item.pk])
    poison_item.refresh_from_db()
    assert (poison_item.status, poison_item.attempts) == (FeedbackItem.Status.PENDING, 2)
    newcomers = FeedbackItemFactory.create_batch(2)

    processed = feedback_process_task.delay([newcomers[0].pk, poison_item.pk, newcomers[1].pk]).get()

    poison_item.refresh_from_db()
    assert processed == 2
    assert (poison_item.status, poison_item.attempts) == (FeedbackItem.Status.FAILED, 3)
    assert poison_item.last_error == "ValueError: embedding model returned NaN"
    assert set(FeedbackItem.objects.filter(pk__in=[n.pk for n in newcomers]).values_list("status", flat=True)) == {
        FeedbackItem.Status.PROCESSED
    }


def test_a_failed_item_is_not_tried_again(poison_item, settings):
    settings.VOC_PROCESS_MAX_ATTEMPTS = 1
    feedback_process_task.delay([poison_item.pk])

    processed = feedback_process_task.delay([poison_item.pk]).get()

    poison_item.refresh_from_db()
    assert processed == 0
    assert (poison_item.status, poison_item.attempts) == (FeedbackItem.Status.FAILED, 1)


@pytest.mark.django_db
def test_the_sweeper_re_enqueues_items_pending_longer_than_the_threshold(settings, django_capture_on_commit_callbacks):
    settings.VOC_SWEEP_AFTER_SECONDS = 600
    stuck = FeedbackItemFactory()
    recent = FeedbackItemFactory()
    FeedbackItem.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - dt.timedelta(minutes=11))
    FeedbackItem.objects.filter(pk=recent.pk).update(received_at=timezone.now() - dt.timedelta(minutes=9))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        swept = feedback_sweep_task.delay().get()

    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert swept == 1
    assert len(callbacks) == 1
    assert (stuck.status, stuck.attempts) == (FeedbackItem.Status.PROCESSED, 1)
    assert (recent.status, recent.attempts) == (FeedbackItem.Status.PENDING, 0)


@pytest.mark.django_db
def test_the_sweeper_leaves_processed_and_failed_items_alone(django_capture_on_commit_callbacks):
    long_ago = timezone.now() - dt.timedelta(days=1)
    FeedbackItemFactory(status=FeedbackItem.Status.PROCESSED, attempts=1)
    FeedbackItemFactory(status=FeedbackItem.Status.FAILED, attempts=5)
    FeedbackItem.objects.update(received_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        swept = feedback_sweep_task.delay().get()

    assert swept == 0
    assert callbacks == []
    assert sorted(FeedbackItem.objects.values_list("attempts", flat=True)) == [1, 5]


@pytest.mark.django_db
def test_a_redelivered_task_skips_items_already_processed():
    item = FeedbackItemFactory()
    assert feedback_process_task.delay([item.pk]).get() == 1
    item.refresh_from_db()
    first_processed_at = item.processed_at

    processed_again = feedback_process_task.delay([item.pk]).get()

    item.refresh_from_db()
    assert processed_again == 0
    assert (item.status, item.attempts, item.processed_at) == (FeedbackItem.Status.PROCESSED, 1, first_processed_at)


@pytest.mark.django_db
def test_a_task_for_an_item_that_is_gone_does_nothing():
    item = FeedbackItemFactory()
    item_id = item.pk
    item.delete()

    assert feedback_process_task.delay([item_id]).get() == 0
