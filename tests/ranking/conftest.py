"""Shared feedback for the ranking tests: themed mentions and the loud-versus-broad case the product exists for."""

import datetime as dt
from dataclasses import astuple
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




def same_contribution(actual, expected) -> bool:
    """Equal but for float rounding: the database hands back times as seconds, the tests build datetimes."""
    return astuple(actual) == pytest.approx(astuple(expected), rel=1e-9)


def same_score(actual, expected) -> bool:
    plain = ("accounts", "mentions", "arr", "too_little_evidence")
    return (
        all(getattr(actual, name) == getattr(expected, name) for name in plain)
        and (actual.score, actual.low, actual.high, actual.loudness)
        == pytest.approx((expected.score, expected.low, expected.high, expected.loudness), rel=1e-9)
        and len(actual.contributions) == len(expected.contributions)
        and all(map(same_contribution, actual.contributions, expected.contributions))
    )
