"""A week of feedback with something for every part of a digest: a theme that rose because large accounts
arrived, one that fell because an account aged out of the window, a new theme, a status change and quiet ones."""

import asyncio
import datetime as dt
import socket
from dataclasses import dataclass
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory
from voc.digests.models import DigestSubscription
from voc.feedback.models import FeedbackItem
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Curation, ProductArea, Theme

NOW = timezone.now()


@dataclass
class Week:
    rising: Theme
    falling: Theme
    steady: Theme
    new: Theme
    cards: ProductArea


def mention(theme, account=None, *, days_ago: float, text: str = "It does not work for us", **fields):
    return FeedbackItemFactory(
        theme=theme, account=account, status=FeedbackItem.Status.PROCESSED, text=text,
        occurred_at=NOW - dt.timedelta(days=days_ago), source=SourceFactory(), **fields,
    )


@pytest.fixture
def week(db):
    cards = ProductArea.objects.create(name="Cards", slug="cards")
    rising = Theme.objects.create(name="Card delivery delays", product_area=cards)
    falling = Theme.objects.create(name="Top-up fails")
    steady = Theme.objects.create(name="App login")
    for number in range(2):
        mention(rising, AccountFactory(name=f"Small {number}", arr=Decimal(20_000), segment="smb"), days_ago=20)
    for number, arr in enumerate((500_000, 400_000, 300_000)):
        account = AccountFactory(name=f"Enterprise {number}", arr=Decimal(arr), segment="enterprise")
        mention(rising, account, days_ago=2,
                text=f"<p>Card {number} still not delivered, call me on +44 20 7946 0958 or jo{number}@example.com</p>")
    # One large account's only mention is 93 days old: inside the 90-day window a week ago, outside it now.
    mention(falling, AccountFactory(name="Departed", arr=Decimal(900_000), segment="enterprise"), days_ago=93)
    for number in range(3):
        mention(falling, AccountFactory(name=f"Mid {number}", arr=Decimal(50_000), segment="mid_market"), days_ago=30)
    for number in range(4):
        mention(steady, AccountFactory(name=f"Steady {number}", arr=Decimal(40_000), segment="smb"), days_ago=40)
    Theme.objects.filter(pk__in=[rising.pk, falling.pk, steady.pk]).update(created_at=NOW - dt.timedelta(days=120))
    new = Theme.objects.create(name="Statement export", product_area=cards)
    for number in range(2):
        mention(new, AccountFactory(name=f"Newcomer {number}", arr=Decimal(60_000), segment="mid_market"), days_ago=1)
    planned = Curation.objects.create(theme=steady, action=Curation.Action.STATUS,
                                      detail={"field": "status", "before": "under_review", "after": "planned"})
    Curation.objects.filter(pk=planned.pk).update(created_at=NOW - dt.timedelta(days=2))
    for theme in (rising, falling, steady, new):
        theme.refresh_from_db()
    weeks_refresh(weeks=12, now=NOW)
    rankings_refresh(now=NOW)
    return Week(rising=rising, falling=falling, steady=steady, new=new, cards=cards)


class Inbox:
    """An aiosmtpd handler that keeps what it accepts; it can refuse messages, or hold a client at RCPT."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0  # answer this many DATA commands with a temporary failure
        self.holding = False  # keep clients waiting at RCPT TO until released
        self.held = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.holding:
            self.held += 1
            while self.holding:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp_server(settings, monkeypatch):
    """A real SMTP server on 127.0.0.1; this process and any worker started after it send their mail there."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": port, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False, "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "", "EMAIL_TIMEOUT": 10}
    for name, value in smtp.items():
        setattr(settings, name, value)
    for name, value in {**smtp, "VOC_TEST_EMAIL_BACKEND": smtp["EMAIL_BACKEND"], "EMAIL_USE_TLS": "0",
                        "EMAIL_USE_SSL": "0"}.items():
        monkeypatch.setenv(name, str(value))
    try:
        yield inbox
    finally:
        inbox.holding = False
        controller.stop()


def subscription_due(**fields) -> DigestSubscription:
    """A subscription whose moment this week has passed: Monday 00:00 UTC, made a month ago."""
    fields = {"recipient": "lead@example.com", "day_of_week": 0, "hour": 0, "timezone": "UTC", **fields}
    subscription = DigestSubscription.objects.create(**fields)
    DigestSubscription.objects.filter(pk=subscription.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    subscription.refresh_from_db()
    return subscription
