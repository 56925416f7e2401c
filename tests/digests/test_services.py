"""Delivery: one digest per subscription and week, whatever fails, and never a silent skip."""

import datetime as dt
import smtplib
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core import mail, signing
from django.db import connection
from django.utils import timezone

from tests.digests.conftest import subscription_due
from voc.digests.models import DigestDelivery
from voc.digests.rendering import unsubscribe_token
from voc.digests.services import (
    deliveries_claim_due,
    delivery_attempt,
    delivery_retry,
    delivery_test_create,
    retry_delay,
    unsubscribe,
)

Status = DigestDelivery.Status


def send_due(now=None) -> list[DigestDelivery]:
    return [delivery_attempt(delivery.pk, now=now) for delivery in deliveries_claim_due(now=now)]


def last_second_of_this_week() -> dt.datetime:
    """Later the same week whatever day the test runs (a Monday 00:00 UTC subscription is due again after it)."""
    now = timezone.now()
    next_monday = (now + dt.timedelta(days=7 - now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return next_monday - dt.timedelta(seconds=1)


def test_a_due_subscription_gets_its_digest_once_however_often_the_sweep_runs(week):
    subscription_due()

    first = send_due()
    send_due()
    send_due(now=last_second_of_this_week())

    assert [delivery.status for delivery in first] == [Status.SENT]
    assert len(mail.outbox) == 1
    assert DigestDelivery.objects.count() == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == first[0].message_id


def test_the_next_week_brings_the_next_digest(week):
    subscription_due()
    send_due()

    send_due(now=timezone.now() + dt.timedelta(days=7))

    assert len(mail.outbox) == 2
    assert DigestDelivery.objects.values("week").distinct().count() == 2


def test_two_beats_claiming_at_once_make_one_delivery(week):
    subscription_due()

    claimed = deliveries_claim_due() + deliveries_claim_due()

    assert len({delivery.pk for delivery in claimed}) == 1
    assert [delivery_attempt(delivery.pk).status for delivery in claimed] == [Status.SENT, Status.SENT]
    assert len(mail.outbox) == 1


def test_an_smtp_error_is_retried_with_backoff_then_sent(week, monkeypatch):
    subscription_due()
    failures = iter([smtplib.SMTPServerDisconnected("Connection unexpectedly closed")])

    def flaky_send(self, fail_silently=False):
        if error := next(failures, None):
            raise error
        return original(self, fail_silently)

    original = mail.EmailMessage.send
    monkeypatch.setattr(mail.EmailMessage, "send", flaky_send)
    [delivery] = send_due()

    assert delivery.status == Status.PENDING
    assert "SMTPServerDisconnected" in delivery.error
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    assert send_due() == []  # not before its time

    [delivery] = send_due(now=delivery.next_attempt_at + dt.timedelta(seconds=1))
    assert (delivery.status, delivery.attempts, delivery.resend) == (Status.SENT, 2, False)
    assert len(mail.outbox) == 1


def test_retries_back_off_doubling_up_to_an_hour():
    assert [retry_delay(attempts).total_seconds() for attempts in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


def test_a_permanent_refusal_fails_at_once_with_the_reason(week, monkeypatch):
    subscription_due()

    def refused(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"lead@example.com": (550, b"5.1.1 No such user")})

    monkeypatch.setattr(mail.EmailMessage, "send", refused)
    [delivery] = send_due()

    assert (delivery.status, delivery.attempts) == (Status.FAILED, 1)
    assert "No such user" in delivery.error


def test_after_the_last_attempt_a_delivery_fails_with_its_reason_and_an_admin_can_retry_it(week, monkeypatch):
    subscription_due()

    def refused(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"lead@example.com": (450, b"4.2.1 Mailbox busy")})

    monkeypatch.setattr(mail.EmailMessage, "send", refused)
    now = timezone.now()
    for _ in range(settings.VOC_DIGEST_MAX_ATTEMPTS):
        now += dt.timedelta(hours=2)
        send_due(now=now)

    delivery = DigestDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, settings.VOC_DIGEST_MAX_ATTEMPTS)
    assert "Mailbox busy" in delivery.error
    assert delivery_retry(delivery).status == Status.PENDING


def test_an_attempt_that_died_before_reaching_smtp_is_retried_as_a_plain_send(week):
    subscription_due()
    [delivery] = deliveries_claim_due()
    DigestDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, attempts=1, lease_until=timezone.now() - dt.timedelta(seconds=1)
    )

    delivery = delivery_attempt(delivery.pk)

    assert (delivery.status, delivery.resend, delivery.attempts) == (Status.SENT, False, 2)
    assert not mail.outbox[0].subject.startswith("[Resent]")


def test_an_attempt_that_died_after_reaching_smtp_is_resent_marked_with_the_same_message_id(week):
    subscription_due()
    [delivery] = deliveries_claim_due()
    DigestDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, attempts=1, lease_until=timezone.now() - dt.timedelta(seconds=1),
        smtp_started_at=timezone.now() - dt.timedelta(minutes=10),
    )

    sent = delivery_attempt(delivery.pk)

    assert (sent.status, sent.resend) == (Status.SENT, True)
    assert "resent" in sent.error
    [message] = mail.outbox
    assert message.subject.startswith("[Resent] ")
    assert message.extra_headers["Message-ID"] == delivery.message_id
    assert message.extra_headers["X-Voc-Resend"] == "yes"
    assert "RESENT" in message.body


def test_an_attempt_still_holding_its_lease_is_left_alone(week):
    subscription_due()
    [delivery] = deliveries_claim_due()
    DigestDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, lease_until=timezone.now() + dt.timedelta(minutes=5)
    )

    assert delivery_attempt(delivery.pk).status == Status.SENDING
    assert deliveries_claim_due() == []
    assert mail.outbox == []


def test_a_subscription_paused_after_its_claim_is_skipped_with_the_reason(week):
    subscription = subscription_due()
    [delivery] = deliveries_claim_due()
    subscription.active = False
    subscription.save()

    delivery = delivery_attempt(delivery.pk)

    assert (delivery.status, delivery.error) == (
        Status.SKIPPED, "the subscription was paused or unsubscribed before sending"
    )
    assert mail.outbox == []


def test_a_quiet_week_sends_a_short_email_by_default(week):
    subscription_due()

    [delivery] = send_due(now=timezone.now() + dt.timedelta(days=9))

    assert delivery.status == Status.SENT
    assert "A quiet week: no new feedback for all feedback." in mail.outbox[0].body


def test_a_quiet_week_is_skipped_and_logged_when_the_subscriber_chose_so(week):
    subscription_due(send_when_quiet=False)

    [delivery] = send_due(now=timezone.now() + dt.timedelta(days=9))

    assert delivery.status == Status.SKIPPED
    assert delivery.error == "a quiet week (no new feedback); the subscriber chose no email"
    assert mail.outbox == []


def test_filters_matching_nothing_send_a_short_email_that_says_so(week):
    subscription_due(tiers=["free"])

    send_due()

    [message] = mail.outbox
    assert message.subject == "voc weekly: no themes for Free tier"
    assert "No themes match Free tier in the last 90 days" in message.body
    assert "TOP THEMES" not in message.body


def test_a_test_send_is_marked_and_does_not_count_as_the_weeks_digest(week):
    subscription = subscription_due()

    test = delivery_attempt(delivery_test_create(subscription, user=None).pk)
    send_due()

    assert test.status == Status.SENT
    assert [message.subject.startswith("[Test] ") for message in mail.outbox] == [True, False]


def test_the_digest_is_built_for_the_subscriptions_filters(week):
    subscription = subscription_due()
    subscription.product_areas.add(week.cards)

    send_due()

    body = mail.outbox[0].body
    assert "Card delivery delays" in body
    assert "App login" not in body
    assert "Cards" in mail.outbox[0].subject


@pytest.mark.django_db
def test_the_unsubscribe_link_turns_the_subscription_off_and_only_its_own():
    subscription, other = subscription_due(), subscription_due(recipient="other@example.com")

    unsubscribe(unsubscribe_token(subscription))

    subscription.refresh_from_db()
    other.refresh_from_db()
    assert (subscription.active, other.active) == (False, True)
    assert subscription.unsubscribed_at is not None


@pytest.mark.django_db
def test_an_unsubscribe_link_stops_working_when_the_key_is_rotated():
    subscription = subscription_due()
    token = unsubscribe_token(subscription)
    subscription.unsubscribe_key = uuid.uuid4()
    subscription.save()

    with pytest.raises(signing.BadSignature):
        unsubscribe(token)
    with pytest.raises(signing.BadSignature):
        unsubscribe(token[:-2] + "xx")


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_delivery_send_it_once(week):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    subscription_due()
    [delivery] = deliveries_claim_due()

    def attempt(_):
        try:
            return delivery_attempt(delivery.pk).status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(attempt, range(8)))

    assert len(mail.outbox) == 1
    assert Status.SENT in statuses
    assert DigestDelivery.objects.get().status == Status.SENT


def test_a_theme_name_with_a_line_break_cannot_break_the_subject_header(week):
    week.rising.human_name = "Card delivery\r\nBcc: everyone@example.com"
    week.rising.save()
    subscription_due()

    [delivery] = send_due()

    assert delivery.status == Status.SENT
    assert mail.outbox[0].subject == "voc weekly: Card delivery Bcc: everyone@example.com rose the most (all feedback)"
    assert mail.outbox[0].recipients() == ["lead@example.com"]


def test_a_digest_that_cannot_be_built_is_retried_with_the_reason_and_nothing_is_sent(week, monkeypatch):
    subscription_due()

    def broken(**kwargs):
        raise RuntimeError("snapshot table is being rebuilt")

    monkeypatch.setattr("voc.digests.services.digest_build", broken)
    [delivery] = send_due()

    assert (delivery.status, delivery.smtp_started_at) == (Status.PENDING, None)
    assert "snapshot table is being rebuilt" in delivery.error
    assert mail.outbox == []
