"""Shared feedback for the ranking tests: themed mentions and the loud-versus-broad case the product exists for."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory
from voc.feedback.models import FeedbackItem
from voc.themes.models import Theme

NOW = timezone.now()


def mention(theme, account=None, *, days_ago=1, source=None, **fields):
    return FeedbackItemFactory(
        theme=theme, account=account, status=FeedbackItem.Status.PROCESSED,
        occurred_at=NOW - dt.timedelta(days=days_ago), source=source or SourceFactory(), **fields,
    )


@pytest.fixture
def loud_and_broad():
    """One small account shouting about one theme; eight large accounts mentioning another once each."""
    loud_theme, broad_theme = Theme.objects.create(name="Top-up fails"), Theme.objects.create(name="Card delivery")
    loud = AccountFactory(name="Pebble Studio", arr=Decimal(3_600), segment="smb")
    for _ in range(40):
        mention(loud_theme, loud)
    for n in range(8):
        mention(broad_theme, AccountFactory(name=f"Large {n}", arr=Decimal(400_000), segment="enterprise"))
    return loud_theme, broad_theme


