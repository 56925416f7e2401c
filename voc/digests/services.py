"""Sending digests exactly once a week per subscription.

A delivery row is claimed for (subscription, week) before anything is sent: the database's unique constraint makes
a second beat, or a second worker, find it taken. Each attempt leases the row, notes when it hands the message to
SMTP, and marks it sent after. SMTP errors are retried with backoff; an attempt that died mid-send is taken over
once its lease runs out, and if it had reached SMTP the email goes again marked as a resend, with the same
Message-ID, so the SMTP log can tell whether the first one left and mail systems can drop the copy.
"""

import logging
import secrets
import smtplib
from datetime import date, datetime, timedelta
from email.utils import formataddr
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from voc.digests.models import DigestDelivery, DigestSubscription
from voc.digests.rendering import UNSUBSCRIBE_SALT, digest_email, digest_render, unsubscribe_url
from voc.digests.selectors import DigestFilters, digest_build, subscriptions_due

logger = logging.getLogger(__name__)
Status = DigestDelivery.Status
# Retries back off 1, 2, 4, 8… minutes, capped at an hour.
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600


def deliveries_claim_due(*, now: datetime | None = None) -> list[DigestDelivery]:
    """Claim this week's delivery for every subscription that is due; returns the deliveries a worker should
    attempt now: the new ones, retries whose time has come, and any whose attempt was lost."""
    now = now or timezone.now()
    claims = [
        DigestDelivery(
            subscription=subscription, kind=DigestDelivery.Kind.WEEKLY, week=week, recipient=subscription.recipient,
            message_id=_message_id(subscription, week), next_attempt_at=now,
        )
        for subscription, week in subscriptions_due(now)
    ]
    # A second beat (or a second scheduler) claims nothing: the unique (subscription, week) row is already there.
    DigestDelivery.objects.bulk_create(claims, ignore_conflicts=True)
    pending = DigestDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    stuck = DigestDelivery.objects.filter(status=Status.SENDING, lease_until__lt=now)
    return list((pending | stuck).order_by("pk"))


def delivery_attempt(delivery_id: int, *, now: datetime | None = None) -> DigestDelivery:
    """Try to send one delivery. Safe to call any number of times, from any number of workers, at once."""
    started = now or timezone.now()
    with transaction.atomic():
        delivery = (
            DigestDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery_id)
        )
        if delivery.status in (Status.SENT, Status.SKIPPED, Status.FAILED):
            return delivery
        if delivery.status == Status.SENDING and delivery.lease_until and delivery.lease_until > started:
            return delivery  # another worker holds it
        if delivery.status == Status.PENDING and delivery.next_attempt_at and delivery.next_attempt_at > started:
            return delivery  # an early duplicate of a retry: wait for its time
        if delivery.status == Status.SENDING and delivery.smtp_started_at:
            # The last attempt died after handing the message to SMTP: it may have arrived. Never skip it silently.
            delivery.resend = True
            delivery.error = "an attempt died after reaching the SMTP server; resent, marked as a resend"
        subscription = delivery.subscription
        if delivery.kind == DigestDelivery.Kind.WEEKLY and not subscription.active:
            return _finish(delivery, Status.SKIPPED, error="the subscription was paused or unsubscribed before sending")
        delivery.status = Status.SENDING
        delivery.attempts += 1
        delivery.lease_until = started + timedelta(seconds=settings.VOC_DIGEST_LEASE_SECONDS)
        delivery.smtp_started_at = None
        delivery.save()

    try:
        digest = digest_build(filters=DigestFilters.of(subscription), now=started)
        if delivery.kind == DigestDelivery.Kind.WEEKLY and digest.quiet and not subscription.send_when_quiet:
            return _finish(
                delivery, Status.SKIPPED, error="a quiet week (no new feedback); the subscriber chose no email"
            )
        link = unsubscribe_url(subscription)
        rendered = digest_render(
            digest, unsubscribe_url=link, resend=delivery.resend, test=delivery.kind == DigestDelivery.Kind.TEST,
            time_zone=subscription.timezone,
        )
        message = digest_email(
            rendered, to=formataddr((subscription.recipient_name, delivery.recipient)), message_id=delivery.message_id,
            unsubscribe_url=link,
            headers={"X-Voc-Digest": f"{subscription.pk}/{delivery.week:%G-W%V}/{delivery.kind}"}
            | ({"X-Voc-Resend": "yes"} if delivery.resend else {}),
        )
        message.message()  # builds the MIME message and checks its headers now, before anything reaches SMTP
    except Exception as error:  # a bug, bad data or a database hiccup: recorded and retried, never lost
        logger.exception("building the digest for delivery %s failed", delivery.pk)
        return _retry_or_fail(delivery, f"building the digest failed: {error!r}", now=started)
    DigestDelivery.objects.filter(pk=delivery.pk).update(smtp_started_at=timezone.now(), subject=rendered.subject)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        # The server refused the message or could not be reached: nothing was delivered, so a retry is no resend.
        # A permanent refusal (5xx, e.g. no such mailbox) will not change by asking again.
        return _retry_or_fail(delivery, f"SMTP: {error!r}", now=started, give_up=_permanent(error))
    delivery.subject, delivery.text_body = rendered.subject, rendered.text
    return _finish(delivery, Status.SENT, error=delivery.error if delivery.resend else "")


def _finish(delivery: DigestDelivery, status: str, *, error: str) -> DigestDelivery:
    delivery.status = status
    delivery.error = error
    delivery.lease_until = None
    delivery.next_attempt_at = None
    if status == Status.SENT:
        delivery.sent_at = timezone.now()
    delivery.save()
    return delivery


def _permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _retry_or_fail(delivery: DigestDelivery, error: str, *, now: datetime, give_up: bool = False) -> DigestDelivery:
    delivery.error = error
    delivery.lease_until = None
    delivery.smtp_started_at = None
    if give_up or delivery.attempts >= settings.VOC_DIGEST_MAX_ATTEMPTS:
        delivery.status = Status.FAILED
        delivery.next_attempt_at = None
        logger.error("digest delivery %s failed after %s attempts: %s", delivery.pk, delivery.attempts, error)
    else:
        delivery.status = Status.PENDING
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save()
    return delivery


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def delivery_retry(delivery: DigestDelivery) -> DigestDelivery:
    """Give a failed delivery another round of attempts (an admin action, once SMTP is fixed)."""
    if delivery.status != Status.FAILED:
        return delivery
    delivery.status, delivery.attempts, delivery.next_attempt_at = Status.PENDING, 0, timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    return delivery


def delivery_test_create(subscription: DigestSubscription, *, user=None) -> DigestDelivery:
    """A test send: the digest as it stands now, marked as a test; it does not count as the week's digest."""
    today = timezone.localdate()
    return DigestDelivery.objects.create(
        subscription=subscription, kind=DigestDelivery.Kind.TEST, week=today - timedelta(days=today.weekday()),
        recipient=subscription.recipient, message_id=_message_id(subscription, today, test=True),
        next_attempt_at=timezone.now(), requested_by=user,
    )


def _message_id(subscription: DigestSubscription, week: date, *, test: bool = False) -> str:
    """Short enough that the header is never folded; it names the subscription and week for whoever reads a log."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "voc.localhost"
    kind = "test" if test else "weekly"
    return f"<digest.{subscription.pk}.{week:%GW%V}.{kind}.{secrets.token_hex(4)}@{domain}>"


def unsubscribe(token: str) -> DigestSubscription:
    """Turn off the subscription a signed link names. Raises signing.BadSignature for a forged or stale link."""
    subscription = subscription_from_token(token)
    if subscription.active or not subscription.unsubscribed_at:
        subscription.active = False
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["active", "unsubscribed_at"])
    return subscription


def subscription_from_token(token: str) -> DigestSubscription:
    """The subscription an unsubscribe link names; signing.BadSignature when forged, or made stale by a new key."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    subscription = DigestSubscription.objects.filter(pk=data.get("s")).first()
    if subscription is None or subscription.unsubscribe_key.hex != data.get("k"):
        raise signing.BadSignature("this link no longer matches a subscription")
    return subscription


def digest_preview_write(recipient: str, path: Path, *, now: datetime | None = None):
    """This week's digest for a recipient's first subscription (all feedback when they have none), images inline,
    written as an HTML file; returns what was rendered."""
    subscription = DigestSubscription.objects.filter(recipient__iexact=recipient).order_by("pk").first()
    filters = DigestFilters.of(subscription) if subscription else DigestFilters()
    rendered = digest_render(
        digest_build(filters=filters, now=now), inline_images=False,
        unsubscribe_url=unsubscribe_url(subscription) if subscription else "",
        time_zone=subscription.timezone if subscription else "UTC",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rendered.html, encoding="utf-8")
    return rendered
