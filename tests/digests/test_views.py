"""The unsubscribe page: the signed link is the credential; GET asks, POST unsubscribes."""

import uuid

import pytest
from django.core import signing
from django.test import Client

from voc.digests.models import DigestSubscription
from voc.digests.rendering import unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription():
    return DigestSubscription.objects.create(recipient="lead@voc.example")


@pytest.fixture
def mail_client():
    """A browser, or a mail provider's one-click button: not signed in, and with no CSRF token to send."""
    return Client(enforce_csrf_checks=True)


def url(token: str) -> str:
    return f"/digests/unsubscribe/{token}/"


def test_opening_the_link_asks_first_and_unsubscribes_nobody(mail_client, subscription):
    response = mail_client.get(url(unsubscribe_token(subscription)))

    assert response.status_code == 200
    assert "Unsubscribe from the weekly digest?" in response.content.decode()
    assert '<form method="post">' in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.active, subscription.unsubscribed_at) == (True, None)


def test_posting_the_link_unsubscribes_without_a_login_or_a_csrf_token(mail_client, subscription):
    response = mail_client.post(url(unsubscribe_token(subscription)), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.unsubscribed_at is not None


def test_posting_again_is_harmless_and_keeps_the_first_unsubscribe_time(mail_client, subscription):
    token = unsubscribe_token(subscription)
    mail_client.post(url(token))
    subscription.refresh_from_db()
    first = subscription.unsubscribed_at

    response = mail_client.post(url(token))

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert (subscription.active, subscription.unsubscribed_at) == (False, first)


def test_opening_the_link_after_unsubscribing_says_so_and_offers_nothing_to_press(mail_client, subscription):
    token = unsubscribe_token(subscription)
    mail_client.post(url(token))

    html = mail_client.get(url(token)).content.decode()

    assert "Already unsubscribed" in html
    assert "<form" not in html


def test_a_paused_subscription_is_not_called_unsubscribed_and_its_recipient_may_still_unsubscribe(
    mail_client, subscription
):
    DigestSubscription.objects.filter(pk=subscription.pk).update(active=False)
    token = unsubscribe_token(subscription)

    html = mail_client.get(url(token)).content.decode()
    assert "Already unsubscribed" not in html
    assert '<form method="post">' in html

    mail_client.post(url(token))
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def tampered(token: str) -> str:
    """The token with one character of its signed payload changed."""
    position = len(token) // 3
    return token[:position] + ("x" if token[position] != "x" else "y") + token[position + 1:]


def test_a_tampered_or_forged_token_gets_400_and_changes_nothing(mail_client, subscription):
    data = {"s": subscription.pk, "k": subscription.unsubscribe_key.hex}
    forged = signing.dumps(data, salt="some.other.purpose", compress=True)

    for token in (tampered(unsubscribe_token(subscription)), forged):
        for method in (mail_client.get, mail_client.post):
            response = method(url(token))
            assert response.status_code == 400
            assert "This link is not valid" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.active, subscription.unsubscribed_at) == (True, None)


def test_a_link_sent_before_the_key_was_rotated_gets_400(mail_client, subscription):
    token = unsubscribe_token(subscription)
    subscription.unsubscribe_key = uuid.uuid4()
    subscription.save()

    assert mail_client.get(url(token)).status_code == 400
    assert mail_client.post(url(token)).status_code == 400
    subscription.refresh_from_db()
    assert subscription.active is True


def test_a_link_for_a_deleted_subscription_gets_400(mail_client, subscription):
    token = unsubscribe_token(subscription)
    subscription.delete()

    assert mail_client.post(url(token)).status_code == 400
