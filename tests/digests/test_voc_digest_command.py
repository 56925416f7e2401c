"""`manage.py voc_digest`: a preview of a recipient's digest, and sending the digests that are due."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.digests.conftest import subscription_due
from voc.digests.models import DigestDelivery, DigestSubscription

pytestmark = pytest.mark.django_db


def voc_digest(*args) -> str:
    out = StringIO()
    call_command("voc_digest", *args, stdout=out)
    return out.getvalue()


def test_preview_writes_the_html_and_prints_the_text(week, tmp_path):
    path = tmp_path / "d.html"

    output = voc_digest("--preview", "nobody@voc.example", "--out", str(path))

    html = path.read_text(encoding="utf-8")
    assert "Card delivery delays" in html
    assert 'src="data:image/png;base64,' in html
    assert "cid:" not in html
    assert "TOP THEMES\n" in output
    assert "1. Card delivery delays" in output
    assert output.rstrip().endswith(f"HTML written to {path.resolve()}")


def test_preview_for_a_recipient_with_a_subscription_follows_its_product_area(week, tmp_path):
    subscription = DigestSubscription.objects.create(recipient="cards-lead@voc.example")
    subscription.product_areas.add(week.cards)
    path = tmp_path / "d.html"

    output = voc_digest("--preview", "Cards-Lead@voc.example", "--out", str(path))

    assert "Card delivery delays" in output
    assert "App login" not in output
    assert "App login" not in path.read_text(encoding="utf-8")
    assert "App login" in voc_digest("--preview", "nobody@voc.example", "--out", str(tmp_path / "all.html"))


def test_send_due_sends_each_due_digest_and_prints_a_line_for_it(db):
    subscription_due(recipient="lead@voc.example")
    subscription_due(recipient="quiet@voc.example", send_when_quiet=False)
    DigestSubscription.objects.create(recipient="later@voc.example", day_of_week=(timezone.now().weekday() + 1) % 7)
    week = f"{timezone.now():%G-W%V}"

    output = voc_digest("--send-due")

    assert [email.to for email in mail.outbox] == [["lead@voc.example"]]
    assert output.splitlines() == [
        f"lead@voc.example {week}: Sent",
        f"quiet@voc.example {week}: Skipped: a quiet week (no new feedback); the subscriber chose no email",
        "2 digests due.",
    ]


def test_send_due_twice_sends_the_weeks_digest_once(db):
    subscription = subscription_due(recipient="lead@voc.example")

    voc_digest("--send-due")
    second = voc_digest("--send-due")

    assert len(mail.outbox) == 1
    assert second.splitlines() == ["0 digests due."]
    [delivery] = DigestDelivery.objects.filter(subscription=subscription)
    assert (delivery.kind, delivery.status) == (DigestDelivery.Kind.WEEKLY, DigestDelivery.Status.SENT)


def test_it_needs_either_preview_or_send_due():
    with pytest.raises(CommandError, match="one of the arguments --preview --send-due is required"):
        voc_digest()
