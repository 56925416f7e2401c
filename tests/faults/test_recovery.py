"""Work that cannot be handed over or done at once: the broker refusing a task after the data is committed (the
caller is told what was stored, and the sweepers hand the work over later), and items that break processing."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from ingest.tasks import webhooks_sweep_task
from tests.factories import SourceFactory
from tests.ingest.test_webhooks import SECRET, post, voc_signed
from voc.feedback import pipeline
from voc.feedback.models import FeedbackItem, Source, WebhookDelivery
from voc.feedback.pipeline import feedback_process, feedback_sweep
from voc.feedback.services import feedback_ingest_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Every task sent fails as kombu fails when Redis is unreachable."""
    sent = []

    def refuse(self, *args, **kwargs):
        sent.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # apply_async, which every delay() ends in: other tests patch delay() on single tasks, and monkeypatch leaves
    # the bound method behind on the task, where a patch of Task.delay would no longer reach.
    monkeypatch.setattr("celery.app.task.Task.apply_async", refuse)
    return sent


def test_an_api_batch_stored_while_the_broker_is_down_is_accepted_and_swept_later(
    api_client, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    SourceFactory(name="api")
    items = [{"external_id": f"E-{n}", "kind": "ticket", "text": f"Export fails {n}"} for n in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/feedback", {"source": "api", "items": items}, format="json")

    assert response.status_code == 200  # a batch's answer; each item says what became of it
    assert [result["status"] for result in response.json()["results"]] == ["created"] * 3
    assert broker_down == ["voc.feedback.tasks.feedback_process_task"]
    assert FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING).count() == 3

    # The broker is back; the sweeper finds the items pending in the database and hands them over.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert feedback_sweep(older_than=dt.timedelta(0)) == 3
    assert FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count() == 3


def test_a_webhook_stored_while_the_broker_is_down_is_acknowledged_and_swept_later(
    client, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv("WEBHOOK_TEST_SECRET", SECRET)
    source = SourceFactory(kind=Source.Kind.WEBHOOK, settings={"secret_env": "WEBHOOK_TEST_SECRET"})
    body = json.dumps({"external_id": "W-1", "kind": "survey", "text": "Please add SSO"}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, source, body, voc_signed(body))

    assert response.status_code == 202
    assert broker_down == ["ingest.tasks.webhook_process_task"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.RECEIVED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - dt.timedelta(hours=1))

    # The broker is back: the webhook sweeper finds the stored delivery and it is processed.
    monkeypatch.undo()
    monkeypatch.setenv("WEBHOOK_TEST_SECRET", SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_sweep_task()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert FeedbackItem.objects.get().text == "Please add SSO"


def test_an_item_that_breaks_a_batched_step_is_parked_without_holding_its_chunk_back(settings):
    settings.VOC_PROCESS_MAX_ATTEMPTS = 3
    source = SourceFactory()
    # An object where an account's CRM id belongs once broke account resolution for the whole chunk.
    feedback_ingest_batch(source=source, records=[
        {"external_id": "good", "kind": "ticket", "text": "Exports time out"},
        {"external_id": "odd", "kind": "ticket", "text": "Card declined", "metadata": {"account_crm_id": {"id": 7}}},
    ])
    items = list(FeedbackItem.objects.values_list("pk", flat=True))

    assert feedback_process(item_ids=items) == 2
    assert set(FeedbackItem.objects.values_list("status", flat=True)) == {FeedbackItem.Status.PROCESSED}


def test_a_chunk_whose_batched_step_keeps_failing_goes_item_by_item_and_parks_only_the_bad_one(settings, monkeypatch):
    settings.VOC_PROCESS_MAX_ATTEMPTS = 2
    source = SourceFactory()
    feedback_ingest_batch(source=source, records=[
        {"external_id": external_id, "kind": "ticket", "text": f"Problem {external_id}"}
        for external_id in ("a", "poison", "b")
    ])
    poison = FeedbackItem.objects.get(external_id="poison")
    real_resolve = pipeline._resolve_accounts

    def resolve(items):
        if any(item.pk == poison.pk for item in items):
            raise TypeError("unhashable type: 'dict'")
        return real_resolve(items)

    monkeypatch.setattr(pipeline, "_resolve_accounts", resolve)
    ids = list(FeedbackItem.objects.order_by("pk").values_list("pk", flat=True))

    assert feedback_process(item_ids=ids) == 2
    assert feedback_process(item_ids=[poison.pk]) == 0

    poison.refresh_from_db()
    assert (poison.status, poison.attempts) == (FeedbackItem.Status.FAILED, 2)
    assert poison.last_error == "TypeError: unhashable type: 'dict'"
    assert FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count() == 2
    assert feedback_sweep(older_than=dt.timedelta(0)) == 0  # nothing left to loop on
