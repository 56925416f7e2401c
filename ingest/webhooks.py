"""Pushes from providers: verified, stored raw, then parsed by a task. Forged, stale or replayed ones get nothing in.

Each provider's package has a Receiver: how it signs (verify), what identifies a delivery (key), and how its
payload becomes feedback records (records). `webhook_receive` is what the endpoint calls.
"""

import hashlib
import hmac
import importlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ingest.base import ConnectorError
from voc.feedback.models import Source, WebhookDelivery

logger = logging.getLogger(__name__)

# Older signed timestamps are refused, so a captured request cannot be replayed later.
MAX_AGE_SECONDS = 5 * 60


class WebhookRefused(Exception):
    """The request is not from the provider, or too old: answered 401, nothing stored."""


class Receiver:
    """One provider's webhook. Settings: secret_env, the environment variable holding the signing secret."""

    def __init__(self, source: Source):
        self.source = source

    def secret(self) -> bytes:
        variable = (self.source.settings or {}).get("secret_env", "")
        value = os.environ.get(variable, "") if variable else ""
        if not value:
            # Without a secret nothing can be verified, so nothing is accepted.
            raise WebhookRefused(f"source {self.source.name!r} has no signing secret (settings: secret_env)")
        return value.encode()

    def verify(self, body: bytes, headers, *, method: str = "POST", url: str = "") -> None:
        """Raise WebhookRefused unless the provider signed this request. url: the full URL it was sent to."""
        raise NotImplementedError

    def key(self, body: bytes, headers) -> str:
        """What identifies this delivery; by default the digest of the body (a replay is the same bytes)."""
        return hashlib.sha256(body).hexdigest()

    def records(self, payload) -> list[dict]:
        raise NotImplementedError


def signature_matches(expected: bytes | str, given: str) -> bool:
    """Constant-time, so the time it takes tells an attacker nothing about how close a guess was."""
    expected = expected.decode() if isinstance(expected, bytes) else expected
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def timestamp_fresh(timestamp: str | float | None, *, now: float | None = None) -> None:
    if timestamp in (None, ""):
        raise WebhookRefused("the signed timestamp is missing")
    if isinstance(timestamp, int | float):
        timestamp = str(timestamp)
    try:
        moment = float(timestamp) if timestamp and not timestamp.endswith("Z") else _iso_seconds(timestamp)
    except (TypeError, ValueError, AttributeError):
        raise WebhookRefused("the signed timestamp is unreadable") from None
    # NaN is no time at all, and would pass the comparison below: float("nan") reads it from "nan".
    if not math.isfinite(moment) or abs((now or time.time()) - moment) > MAX_AGE_SECONDS:
        raise WebhookRefused("the signed timestamp is more than 5 minutes from now")


def _iso_seconds(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# Source kind → its receiver, by dotted path.
RECEIVERS = {
    Source.Kind.ZENDESK: "ingest.zendesk.webhook.ZendeskReceiver",
    Source.Kind.INTERCOM: "ingest.intercom.webhook.IntercomReceiver",
    Source.Kind.TYPEFORM: "ingest.typeform.webhook.TypeformReceiver",
    Source.Kind.HUBSPOT: "ingest.hubspot.webhook.HubSpotReceiver",
    Source.Kind.WEBHOOK: "ingest.webhook.receiver.JsonReceiver",
}


def receiver_for(source: Source) -> Receiver | None:
    path = RECEIVERS.get(source.kind)
    if path is None:
        return None
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(source)


@dataclass
class Received:
    delivery: WebhookDelivery
    duplicate: bool


def webhook_receive(*, source: Source, body: bytes, headers, method: str = "POST", url: str = "") -> Received:
    """Verify a push and store it raw; its processing is queued once stored. Raises WebhookRefused."""
    from ingest.tasks import webhook_process_task

    receiver = receiver_for(source)
    if receiver is None:
        raise WebhookRefused(f"sources of kind {source.kind!r} take no webhooks")
    receiver.verify(body, headers, method=method, url=url)
    key = receiver.key(body, headers)[:128]
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(source=source, key=key, body=body)
            # robust: the delivery is stored, so the sender gets its 2xx even with the broker down; the webhook
            # sweeper on beat hands it to a worker later.
            transaction.on_commit(lambda: webhook_process_task.delay(delivery.pk), robust=True)
    except IntegrityError:
        return Received(WebhookDelivery.objects.get(source=source, key=key), duplicate=True)
    return Received(delivery, duplicate=False)


def webhook_process(*, delivery_id: int) -> WebhookDelivery | None:
    """Parse a stored delivery and ingest its records; a failure is kept on the delivery to replay later."""
    from voc.feedback.services import IngestStatus, feedback_ingest_batch

    delivery = WebhookDelivery.objects.select_related("source").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == WebhookDelivery.Status.PROCESSED:
        return delivery
    try:
        records = receiver_for(delivery.source).records(json.loads(bytes(delivery.body)))
    except ConnectorError as error:
        # Some payloads name objects to fetch (HubSpot): a transient failure is retried by the task, a permanent
        # one is kept on the delivery, which "Process again" replays once it is fixed.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.RECEIVED if not error.permanent else WebhookDelivery.Status.FAILED,
            error=str(error)[:2000],
        )
        if not error.permanent:
            raise
        return WebhookDelivery.objects.get(pk=delivery.pk)
    # OverflowError: a number no date holds; RecursionError: JSON nested too deeply. Raised, either would leave the
    # delivery received, and the sweeper would hand it to a worker again every 5 minutes, forever.
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, error=f"unreadable payload: {type(error).__name__}: {error}"[:2000]
        )
        logger.warning("webhook delivery %s unreadable: %s", delivery.pk, error)
        return WebhookDelivery.objects.get(pk=delivery.pk)
    results = feedback_ingest_batch(source=delivery.source, records=records, update_existing=True)
    count = {status: sum(1 for result in results if result.status == status) for status in
             (IngestStatus.CREATED, IngestStatus.UPDATED, IngestStatus.REJECTED)}
    reasons = [f"record {result.index}: {result.errors}" for result in results if result.errors]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PROCESSED, items_new=count[IngestStatus.CREATED],
        items_updated=count[IngestStatus.UPDATED], items_failed=count[IngestStatus.REJECTED],
        error="; ".join(reasons)[:2000],
    )
    return WebhookDelivery.objects.get(pk=delivery.pk)


def webhooks_stuck(*, older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Deliveries stored but not processed for a while (a lost message, retries spent): for the sweeper."""
    cutoff = timezone.now() - older_than
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
