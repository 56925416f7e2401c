"""A digest sent to a real SMTP server on 127.0.0.1: what arrives is a well-formed email a mail client can show."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.digests.conftest import subscription_due
from voc.digests.models import DigestDelivery
from voc.digests.services import deliveries_claim_due, delivery_attempt

Status = DigestDelivery.Status


def send_due(now=None):
    return [delivery_attempt(delivery.pk, now=now) for delivery in deliveries_claim_due(now=now)]


@pytest.fixture
def received(week, smtp_server):
    subscription = subscription_due(recipient="lead@example.com", recipient_name="Lee Lead")
    [delivery] = send_due()
    [message] = smtp_server.messages
    return subscription, delivery, message


def test_the_digest_arrives_with_its_headers(received, settings):
    subscription, delivery, message = received

    assert delivery.status == Status.SENT
    assert message["To"] == "Lee Lead <lead@example.com>"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "voc weekly: Card delivery delays rose the most (all feedback)"
    assert message["Message-ID"] == delivery.message_id
    assert message["X-Voc-Digest"] == f"{subscription.pk}/{delivery.week:%G-W%V}/weekly"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A long header is folded onto a second line; unfolded, its value is the link.
    assert re.fullmatch(r"<http://[^>]+/digests/unsubscribe/[^/]+/>", message["List-Unsubscribe"].strip())


def test_the_text_and_html_parts_say_the_same_things(received):
    _, _, message = received
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()

    assert message.get_content_type() == "multipart/alternative"
    for expected in ("Card delivery delays", "rose 2 places (#3 → #1)",
                     "3 new accounts ($1.2M ARR, all Enterprise) in the last 7 days", "Statement export",
                     "Under review → ", "Card 0 still not delivered, call me on [phone] or [email]"):
        assert expected in text
        assert expected.replace("→", "→").replace("'", "&#x27;") in html
    assert "+44 20 7946 0958" not in text + html
    assert "jo0@example.com" not in text + html


def test_the_sparklines_are_inline_png_parts_the_html_points_at(received):
    _, _, message = received
    html_part = message.get_body(preferencelist=("html",))
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    images = [part for part in related.iter_parts() if part.get_content_type() == "image/png"]
    html = html_part.get_content()

    assert images
    for image in images:
        content_id = image["Content-ID"].strip("<>")
        assert f'src="cid:{content_id}"' in html
        assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
        assert image.get_content_disposition() == "inline"
    assert "http://" not in "".join(re.findall(r'<img[^>]+src="([^"]+)"', html))


def test_dates_are_shown_in_the_subscribers_time_zone(week, smtp_server):
    subscription_due(timezone="Asia/Tokyo")

    send_due(now=timezone.now())

    html = smtp_server.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "JST." in html


def test_every_theme_links_to_its_admin_page(received, week):
    _, _, message = received
    html = message.get_body(preferencelist=("html",)).get_content()

    for theme in (week.rising, week.falling, week.steady, week.new):
        assert f'href="http://127.0.0.1:8000/admin/ranking/{theme.pk}/"' in html
    assert 'href="http://127.0.0.1:8000/admin/ranking/?period=90d"' in html


def test_the_unsubscribe_link_in_the_email_works_without_login(received):
    subscription, _, message = received
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"Unsubscribe: (\S+)", text).group(1)

    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.get(urlsplit(link).path).status_code == 200
    response = anonymous.post(urlsplit(link).path)

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.active is False
    assert send_due(now=timezone.now() + dt.timedelta(days=7)) == []


def test_a_temporary_smtp_refusal_is_retried_and_the_digest_arrives_once(week, smtp_server):
    subscription_due()
    smtp_server.refuse_next = 2

    [first] = send_due()
    [second] = send_due(now=first.next_attempt_at)
    [third] = send_due(now=second.next_attempt_at)

    assert (first.status, second.status, third.status) == (Status.PENDING, Status.PENDING, Status.SENT)
    assert "451" in first.error
    assert second.next_attempt_at - first.next_attempt_at >= dt.timedelta(seconds=110)
    assert len(smtp_server.messages) == 1
