"""Intercom notifications get in only when signed with the app's client secret, fresh, and new."""

import hashlib
import hmac
import json
import time

import pytest

from tests.factories import SourceFactory
from tests.ingest.fake_api import payload
from voc.feedback.models import FeedbackItem, Source, WebhookDelivery

pytestmark = pytest.mark.django_db
CLIENT_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


@pytest.fixture
def intercom(monkeypatch):
    monkeypatch.setenv("INTERCOM_TEST_CLIENT_SECRET", CLIENT_SECRET)
    return SourceFactory(name="Intercom push", kind=Source.Kind.INTERCOM,
                         settings={"secret_env": "INTERCOM_TEST_CLIENT_SECRET"})


def notification(*, created_at: float | None = None, **changes) -> bytes:
    """The recorded notification as Intercom would send it now (or at created_at)."""
    body = payload("intercom_webhook_conversation_created.json") | changes
    body["created_at"] = int(created_at or time.time())
    return json.dumps(body).encode()


def signed(body: bytes, *, secret: str = CLIENT_SECRET) -> dict:
    return {"HTTP_X_HUB_SIGNATURE": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def post(client, source, body: bytes, headers: dict):
    return client.post(f"/webhooks/{source.pk}/", data=body, content_type="application/json", **headers)


def test_a_signed_conversation_notification_becomes_a_ticket(client, intercom, django_capture_on_commit_callbacks):
    body = notification()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, intercom, body, signed(body))

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.key == "id:notif_5f0c6a9e-2b1d-4c3e-9f7a-1d2e3f4a5b6c"
    assert (delivery.status, delivery.items_new) == ("processed", 1)
    item = FeedbackItem.objects.get()
    assert (item.external_id, item.kind, item.author_email) == ("215468010", "ticket", "ana@bank.example")
    assert item.text == "My card was blocked in Lisbon — again. Ich brauche Hilfe!"
    assert item.url == "https://app.intercom.com/a/inbox/ecahpwf5/inbox/conversation/215468010"


def test_a_replayed_notification_creates_nothing_new(client, intercom, django_capture_on_commit_callbacks):
    body = notification()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, intercom, body, signed(body))
        # Intercom's retry: the same notification id, one more attempt, so other bytes and another signature.
        retry = notification(delivery_attempts=2)
        replay = post(client, intercom, retry, signed(retry))

    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert WebhookDelivery.objects.count() == 1
    assert FeedbackItem.objects.count() == 1


def test_a_ping_is_accepted_and_creates_no_feedback(client, intercom, django_capture_on_commit_callbacks):
    body = notification(topic="ping", id="notif_ping_1", data={"type": "notification_event_data",
                                                                 "item": {"type": "ping", "message": "hello"}})
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, intercom, body, signed(body)).status_code == 202
    assert WebhookDelivery.objects.get().status == "processed"
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(notification(), signed(notification(), secret="guessed"), id="forged signature"),
        pytest.param(notification(created_at=time.time() - 6 * 60),
                     signed(notification(created_at=time.time() - 6 * 60)), id="stale created_at"),
        pytest.param(notification(), {}, id="unsigned"),
        pytest.param(notification() + b" ", signed(notification()), id="body changed after signing"),
        pytest.param(b"{not json", signed(b"{not json"), id="signed but unreadable"),
        pytest.param(json.dumps({"id": "notif_x"}).encode(), signed(json.dumps({"id": "notif_x"}).encode()),
                     id="signed without created_at"),
    ],
)
def test_a_forged_stale_or_unreadable_notification_is_refused_and_nothing_is_stored(client, intercom, body, headers):
    response = post(client, intercom, body, headers)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert not FeedbackItem.objects.exists()
