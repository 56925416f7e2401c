"""A Typeform push gets in when Typeform signed it and the response is fresh; it becomes survey feedback once."""

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest

from tests.factories import SourceFactory
from tests.ingest.fake_api import payload
from voc.feedback.models import FeedbackItem, Source, WebhookDelivery

pytestmark = pytest.mark.django_db
SECRET = "tf-webhook-secret"


@pytest.fixture
def typeform(monkeypatch):
    monkeypatch.setenv("TYPEFORM_TEST_SECRET", SECRET)
    return SourceFactory(name="NPS survey push", kind=Source.Kind.TYPEFORM,
                         settings={"secret_env": "TYPEFORM_TEST_SECRET", "form_id": "AbCdEf"})


def event_body(name: str = "typeform_webhook_response.json", *, submitted: dt.datetime | None = None) -> bytes:
    """A recorded push, submitted now unless told otherwise (pushes come seconds after the submission)."""
    event = payload(name)
    moment = submitted or dt.datetime.now(dt.UTC)
    event["form_response"]["submitted_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(event).encode()


def typeform_signed(body: bytes, *, secret: str = SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"HTTP_TYPEFORM_SIGNATURE": "sha256=" + base64.b64encode(digest).decode()}


def post(client, source, body: bytes, headers: dict):
    return client.post(f"/webhooks/{source.pk}/", data=body, content_type="application/json", **headers)


def test_a_signed_response_becomes_survey_feedback_with_its_score(client, typeform, django_capture_on_commit_callbacks):
    body = event_body()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, typeform, body, typeform_signed(body))

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.key, delivery.status, delivery.items_new) == ("id:01JD9X4Q2M8T6R0V3B5N7K1W9E", "processed", 1)
    item = FeedbackItem.objects.get()
    assert (item.external_id, item.kind, item.nps_score) == ("w8k2p4x9q1", "survey", 4)
    assert item.text == "Exports to CSV keep timing out on large workspaces"
    assert item.author_email == "lena@pebble.example"


def test_a_response_without_a_comment_is_stored_but_makes_no_feedback(
    client, typeform, django_capture_on_commit_callbacks
):
    body = event_body("typeform_webhook_score_only.json")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, typeform, body, typeform_signed(body)).status_code == 202

    assert WebhookDelivery.objects.get().status == "processed"
    assert not FeedbackItem.objects.exists()


def test_a_replayed_push_is_a_duplicate_and_creates_nothing_new(client, typeform, django_capture_on_commit_callbacks):
    body = event_body()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, typeform, body, typeform_signed(body))
        replay = post(client, typeform, body, typeform_signed(body))

    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert WebhookDelivery.objects.count() == 1
    assert FeedbackItem.objects.count() == 1


def test_a_retry_with_the_same_event_id_is_a_duplicate_even_if_the_bytes_differ(client, typeform):
    body = event_body()
    assert post(client, typeform, body, typeform_signed(body)).status_code == 202
    retried = body.replace(b'"event_type"', b' "event_type"')
    assert post(client, typeform, retried, typeform_signed(retried)).json()["status"] == "duplicate"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(event_body(), typeform_signed(event_body(), secret="guessed"), id="forged signature"),
        pytest.param(event_body(), {}, id="unsigned"),
        pytest.param(event_body(), {"HTTP_TYPEFORM_SIGNATURE": "sha256="}, id="empty signature"),
    ],
)
def test_a_forged_or_unsigned_push_is_refused_and_nothing_is_stored(client, typeform, body, headers):
    response = post(client, typeform, body, headers)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert not FeedbackItem.objects.exists()


def test_a_changed_body_no_longer_matches_its_signature(client, typeform):
    body = event_body()
    headers = typeform_signed(body)
    assert post(client, typeform, body.replace(b"timing out", b"fine"), headers).status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_push_about_a_response_submitted_over_5_minutes_ago_is_refused(client, typeform):
    body = event_body(submitted=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
    response = post(client, typeform, body, typeform_signed(body))
    assert response.status_code == 401
    assert "5 minutes" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_a_signed_push_without_a_readable_submission_time_is_refused(client, typeform):
    event = payload("typeform_webhook_response.json")
    event["form_response"]["submitted_at"] = "yesterday"
    body = json.dumps(event).encode()
    assert post(client, typeform, body, typeform_signed(body)).status_code == 401
    del event["form_response"]["submitted_at"]
    body = json.dumps(event).encode()
    assert post(client, typeform, body, typeform_signed(body)).status_code == 401
    assert not WebhookDelivery.objects.exists()
