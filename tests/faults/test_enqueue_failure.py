"""The broker refusing a task after the data is committed: the caller is told what was stored, and the sweepers
hand the work over from the database later."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from ingest.tasks import webhooks_sweep_task
from tests.factories import SourceFactory
from tests.ingest.test_webhooks import SECRET, post, voc_signed
from voc.feedback.models import FeedbackItem, Source, WebhookDelivery
from voc.feedback.services import feedback_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Every task sent fails as kombu fails when Redis is unreachable."""
    sent = []

    def refuse(self, *args, **kwargs):
        sent.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("celery.app.task.Task.delay", refuse)
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
