"""Webhook receivers: a forged push is never accepted, any push is refused only with WebhookRefused, and any
stored delivery ends processed or failed with its reason, never as an exception (which would leave it to the
sweeper, to fail again every 5 minutes).
"""

import base64
import hashlib
import hmac
import math
import time
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ingest.hubspot.webhook import signed_uri
from ingest.webhooks import MAX_AGE_SECONDS, WebhookRefused, receiver_for, timestamp_fresh, webhook_process
from tests.factories import SourceFactory
from tests.fuzz.conftest import SECRET, SECRET_ENV
from tests.fuzz.strategies import epoch_seconds, iso_dates, json_bytes, json_values, maybe, texts
from tests.fuzz.test_connectors import conversations, read_or_reason, responses
from tests.fuzz.test_records import records
from voc.feedback.models import Source, WebhookDelivery

KINDS = [Source.Kind.WEBHOOK, Source.Kind.ZENDESK, Source.Kind.INTERCOM, Source.Kind.TYPEFORM, Source.Kind.HUBSPOT]
URL = "https://voc.example/webhooks/7/?a=%3A%20"


def _b64_hmac(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed_headers(kind: str, body: bytes, stamp: str, *, secret: str = SECRET) -> dict:
    """The headers the provider would send with this body; stamp is the signed timestamp where it has one."""
    if kind == Source.Kind.WEBHOOK:
        digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"X-Voc-Timestamp": stamp, "X-Voc-Signature": f"sha256={digest}"}
    if kind == Source.Kind.ZENDESK:
        return {"X-Zendesk-Webhook-Signature-Timestamp": stamp,
                "X-Zendesk-Webhook-Signature": _b64_hmac(secret, stamp.encode() + body)}
    if kind == Source.Kind.INTERCOM:
        return {"X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}
    if kind == Source.Kind.TYPEFORM:
        return {"Typeform-Signature": "sha256=" + _b64_hmac(secret, body)}
    signed = b"POST" + signed_uri(URL).encode() + body + stamp.encode()
    return {"X-HubSpot-Request-Timestamp": stamp, "X-HubSpot-Signature-v3": _b64_hmac(secret, signed)}


def receiver(kind: str):
    return receiver_for(Source(name=f"fuzz {kind}", kind=kind, settings={"secret_env": SECRET_ENV}))


# Header values arrive through WSGI as latin-1 text.
header_values = st.text(st.characters(max_codepoint=255), max_size=80)
SIGNATURE_HEADERS = ["X-Voc-Signature", "X-Voc-Timestamp", "X-Voc-Delivery", "X-Zendesk-Webhook-Signature",
                     "X-Zendesk-Webhook-Signature-Timestamp", "X-Hub-Signature", "Typeform-Signature",
                     "X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"]
any_headers = st.dictionaries(st.sampled_from(SIGNATURE_HEADERS) | st.from_regex(r"X-[A-Za-z-]{1,20}", fullmatch=True),
                              header_values, max_size=6)
any_bodies = st.one_of(st.binary(max_size=200), json_values(nan=True).map(json_bytes))
# JSON nested deeper than Python's parser recurses.
deep = st.integers(1_000, 200_000).map(lambda depth: b"[" * depth + b"]" * depth)


@pytest.mark.parametrize("kind", KINDS)
@given(body=any_bodies, headers=any_headers, wrong_secret=st.text(min_size=1, max_size=20), stamp=header_values)
def test_a_forged_push_is_refused_and_nothing_else_is_raised(kind, body, headers, wrong_secret, stamp):
    assume(wrong_secret != SECRET)
    forged = [headers, headers | signed_headers(kind, body, stamp, secret=wrong_secret)]
    for attempt in forged:
        with pytest.raises(WebhookRefused):
            receiver(kind).verify(body, attempt, method="POST", url=URL)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@given(body=any_bodies, headers=any_headers)
def test_the_endpoint_answers_a_forged_push_401_and_stores_nothing(client, kind, body, headers):
    source = SourceFactory(name=f"fuzz {kind}", kind=kind, settings={"secret_env": SECRET_ENV})

    response = client.post(f"/webhooks/{source.pk}/", data=body, content_type="application/json", headers=headers)

    assert response.status_code == 401
    assert response.json()["detail"].startswith("refused: ")
    assert not WebhookDelivery.objects.filter(source=source).exists()


# Offsets from now, in seconds, that are not within 5 minutes: far past and future, NaN and infinities. The margin
# covers stamps written in whole seconds and the time the test takes.
stale_offsets = st.floats(allow_nan=True).filter(lambda offset: not abs(offset) <= MAX_AGE_SECONDS + 5)
unreadable_stamps = st.one_of(
    st.sampled_from(["", " ", "nan", "NaN", "-nan", "inf", "-Infinity", "1e999", "0x5f5e100", "now", "Z"]),
    st.text("0123456789", min_size=300, max_size=400),  # a number no float holds
    header_values.filter(lambda text: not text.strip().lstrip("+-").replace(".", "", 1).isdigit()),
)


def stamp_for(kind: str, offset: float | None, unreadable: str) -> str:
    if offset is None:
        return unreadable
    moment = time.time() + offset
    if not math.isfinite(moment):
        return str(moment)
    if kind == Source.Kind.HUBSPOT:
        milliseconds = moment * 1000
        return str(int(milliseconds)) if math.isfinite(milliseconds) else str(milliseconds)
    if kind == Source.Kind.ZENDESK and abs(moment) < 2.5e11:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return repr(moment)


@pytest.mark.parametrize("kind", [Source.Kind.WEBHOOK, Source.Kind.ZENDESK, Source.Kind.HUBSPOT])
@given(offset=maybe(stale_offsets), unreadable=unreadable_stamps, body=any_bodies)
def test_a_signed_push_with_a_stale_or_unreadable_timestamp_is_refused(kind, offset, unreadable, body):
    stamp = stamp_for(kind, offset, unreadable)

    with pytest.raises(WebhookRefused):
        receiver(kind).verify(body, signed_headers(kind, body, stamp), method="POST", url=URL)


@given(offset=maybe(stale_offsets), unreadable=unreadable_stamps)
def test_a_timestamp_more_than_5_minutes_away_or_unreadable_is_never_fresh(offset, unreadable):
    with pytest.raises(WebhookRefused):
        timestamp_fresh(unreadable if offset is None else time.time() + offset)


@pytest.mark.parametrize("kind", [Source.Kind.INTERCOM, Source.Kind.TYPEFORM])
@given(offset=maybe(stale_offsets), unreadable=unreadable_stamps | json_values(nan=True), payload=json_values())
def test_a_signed_push_whose_body_time_is_stale_or_unreadable_is_refused(kind, offset, unreadable, payload):
    moment = time.time() + offset if offset is not None else None
    if kind == Source.Kind.INTERCOM:
        when = moment if moment is not None else unreadable
        body = json_bytes({"type": "notification_event", "created_at": when, "data": {"item": payload}})
    else:
        when = unreadable
        if moment is not None:
            when = datetime.fromtimestamp(moment, UTC).isoformat() if abs(moment) < 2.5e11 else repr(moment)
        body = json_bytes({"event_id": "e1", "form_response": {"submitted_at": when, "answers": payload}})

    with pytest.raises(WebhookRefused):
        receiver(kind).verify(body, signed_headers(kind, body, ""), method="POST", url=URL)


# Payloads shaped like each provider's, with fuzzed content; and anything at all.
zendesk_tickets = st.fixed_dictionaries({}, optional={
    name: maybe(texts()) for name in ["id", "subject", "description", "requester_email", "requester_name",
                                      "created_at", "status", "url"]
}) | st.fixed_dictionaries({}, optional={"id": maybe(st.integers()), "created_at": iso_dates()})
PAYLOADS = {
    Source.Kind.WEBHOOK: st.one_of(records, st.fixed_dictionaries({"items": st.lists(records, max_size=3)})),
    Source.Kind.ZENDESK: st.fixed_dictionaries({"ticket": zendesk_tickets}),
    Source.Kind.INTERCOM: st.fixed_dictionaries({
        "topic": st.sampled_from(["conversation.user.created", "conversation.user.replied", "ping"]),
        "app_id": maybe(texts(huge=False)),
        "data": st.fixed_dictionaries({"item": conversations.map(lambda item: {**item, "type": "conversation"})}),
        "created_at": epoch_seconds(),
    }),
    Source.Kind.TYPEFORM: st.fixed_dictionaries({"event_id": texts(huge=False), "form_response": responses}),
    Source.Kind.HUBSPOT: st.lists(st.fixed_dictionaries({
        "eventId": st.integers() | st.floats(), "objectId": json_values(), "objectTypeId": st.just("0-46"),
        "subscriptionType": st.sampled_from(["object.creation", "object.propertyChange", "object.deletion"]),
    }), max_size=3),
}


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), skew=st.floats(-MAX_AGE_SECONDS + 5, MAX_AGE_SECONDS - 5))
def test_a_correctly_signed_fresh_push_passes_or_is_refused_never_raises(kind, data, skew):
    body = data.draw(st.one_of(PAYLOADS[kind].map(json_bytes), any_bodies, deep), label="body")
    now = time.time() + skew
    stamp = {Source.Kind.HUBSPOT: str(int(now * 1000)), Source.Kind.WEBHOOK: str(int(now))}.get(
        kind, datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    headers = signed_headers(kind, body, stamp)
    try:
        receiver(kind).verify(body, headers, method="POST", url=URL)
    except WebhookRefused as error:
        refusal = str(error)
    else:
        refusal = None
        key = receiver(kind).key(body, headers)
        assert isinstance(key, str)
        assert key

    # Only the providers that sign no timestamp look inside the body, and so may refuse what it holds.
    assert refusal is None or kind in (Source.Kind.INTERCOM, Source.Kind.TYPEFORM), refusal


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_any_stored_delivery_ends_processed_or_failed_with_a_reason(kind, data):
    source = SourceFactory(name=f"fuzz {kind}", kind=kind, settings={"secret_env": SECRET_ENV})
    body = data.draw(st.one_of(PAYLOADS[kind].map(json_bytes), any_bodies, deep), label="body")
    delivery = WebhookDelivery.objects.create(source=source, key=uuid.uuid4().hex, body=body)

    delivery = webhook_process(delivery_id=delivery.pk)

    assert delivery.status in (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.FAILED)
    if delivery.status == WebhookDelivery.Status.FAILED:
        assert delivery.error.strip()


@given(ticket=zendesk_tickets)
def test_a_zendesk_push_is_a_record_or_a_reason(ticket):
    for record in receiver(Source.Kind.ZENDESK).records({"ticket": ticket}):
        read_or_reason(record, kind=Source.Kind.ZENDESK)
