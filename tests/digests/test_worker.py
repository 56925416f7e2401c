"""Real Celery workers on Redis send digests to a real SMTP server: beat firing twice, or a worker killed in the
middle of a send, still make exactly one email per subscription and week."""

import time

import pytest
from django.utils import timezone

from tests.digests.conftest import subscription_due
from voc.digests.models import DigestDelivery
from voc.digests.services import deliveries_claim_due, delivery_attempt
from voc.digests.tasks import digests_send_due_task

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
Status = DigestDelivery.Status
LEASE_SECONDS = 3


@pytest.fixture
def short_lease(monkeypatch):
    """Set before the worker starts, so that it inherits it."""
    monkeypatch.setenv("VOC_DIGEST_LEASE_SECONDS", str(LEASE_SECONDS))


def test_beat_firing_twice_sends_one_digest_per_subscription(week, smtp_server, celery_worker, wait_for):
    recipients = [f"lead{number}@example.com" for number in range(3)]
    for recipient in recipients:
        subscription_due(recipient=recipient)

    digests_send_due_task.delay()
    digests_send_due_task.delay()

    sent = DigestDelivery.objects.filter(status=Status.SENT)
    wait_for(lambda: sent.count() == 3, timeout=90, what="three digests sent")
    time.sleep(3)  # room for a duplicate, were there one, to arrive
    assert sorted(message["To"] for message in smtp_server.messages) == recipients
    assert DigestDelivery.objects.count() == 3


def test_a_worker_killed_mid_send_leaves_exactly_one_email_marked_as_a_resend(
    week, smtp_server, short_lease, celery_worker, wait_for
):
    subscription_due()
    smtp_server.holding = True  # the worker's SMTP conversation stops at RCPT TO

    digests_send_due_task.delay()
    wait_for(lambda: smtp_server.held == 1, timeout=90, what="the worker to reach the SMTP server")
    delivery = DigestDelivery.objects.get()
    assert delivery.status == Status.SENDING
    assert delivery.smtp_started_at is not None

    celery_worker.kill()
    celery_worker.wait(timeout=20)
    smtp_server.holding = False
    time.sleep(max((delivery.lease_until - timezone.now()).total_seconds(), 0) + 0.5)

    # The next sweep finds the lease run out: the attempt died after reaching SMTP, so the digest goes again,
    # marked as a resend. Nothing arrived the first time, so this is the one email.
    [taken_over] = deliveries_claim_due()
    sent = delivery_attempt(taken_over.pk)

    assert (sent.status, sent.resend, sent.attempts) == (Status.SENT, True, 2)
    wait_for(lambda: len(smtp_server.messages) == 1, timeout=10, what="the resend")
    time.sleep(1)
    [message] = smtp_server.messages
    assert message["Subject"].startswith("[Resent] ")
    assert message["X-Voc-Resend"] == "yes"
    assert message["Message-ID"] == delivery.message_id
    assert deliveries_claim_due() == []
