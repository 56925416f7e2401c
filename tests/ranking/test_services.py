import datetime as dt

import pytest

from tests.factories import AccountFactory, FeedbackItemFactory
from voc.feedback.models import FeedbackItem
from voc.ranking.models import ThemeRanking, ThemeWeek
from voc.ranking.selectors import theme_week_series, week_start
from voc.ranking.services import rankings_refresh, rankings_refresh_soon, weeks_refresh
from voc.ranking.spikes import is_spike
from voc.ranking.tasks import rankings_refresh_task
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db

# A Wednesday noon, so "this week" has room on both sides.
NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


def mention(theme, account, *, days_ago):
    return FeedbackItemFactory(
        theme=theme, account=account, status=FeedbackItem.Status.PROCESSED,
        occurred_at=NOW - dt.timedelta(days=days_ago, minutes=1),
    )


def test_weeks_refresh_writes_one_snapshot_per_theme_and_week_with_feedback():
    theme = Theme.objects.create(name="Card delivery")
    accounts = [AccountFactory() for _ in range(3)]
    for account in accounts:
        mention(theme, account, days_ago=0)
    mention(theme, accounts[0], days_ago=14)
    assert weeks_refresh(weeks=4, now=NOW) == 2
    this_week = ThemeWeek.objects.get(theme=theme, week=week_start(NOW))
    assert (this_week.accounts, this_week.mentions, this_week.theme_name) == (3, 3, "Card delivery")
    assert this_week.low <= this_week.score <= this_week.high


def test_history_outside_the_refreshed_weeks_survives_a_recluster():
    theme, other = Theme.objects.create(name="Fees"), Theme.objects.create(name="Other")
    item = mention(theme, AccountFactory(), days_ago=21)
    weeks_refresh(weeks=5, now=NOW)
    item.theme = other  # a re-cluster moves the item
    item.save()
    weeks_refresh(weeks=2, now=NOW)
    assert ThemeWeek.objects.get(week=week_start(NOW - dt.timedelta(days=21))).theme == theme


def test_the_weekly_series_is_aligned_oldest_first_with_quiet_weeks_at_zero():
    theme = Theme.objects.create(name="Login")
    mention(theme, AccountFactory(), days_ago=0)
    mention(theme, AccountFactory(), days_ago=14)
    weeks_refresh(weeks=4, now=NOW)
    oldest, two_weeks_ago, last_week, this_week = theme_week_series([theme.pk], weeks=4, now=NOW)[theme.pk].scores
    assert oldest == last_week == 0
    assert two_weeks_ago > 0
    assert this_week > 0


def test_a_week_far_above_the_themes_own_history_is_a_spike():
    theme = Theme.objects.create(name="Outage")
    for weeks_ago in range(1, 7):
        mention(theme, AccountFactory(), days_ago=7 * weeks_ago)
    for _ in range(8):
        mention(theme, AccountFactory(), days_ago=0)
    weeks_refresh(weeks=8, now=NOW)
    assert ThemeWeek.objects.get(theme=theme, week=week_start(NOW)).spike
    assert not ThemeWeek.objects.filter(theme=theme, spike=True).exclude(week=week_start(NOW)).exists()


@pytest.mark.parametrize(
    ("score", "trailing", "known", "spike"),
    [
        (10.0, [1.0] * 8, 8, True),
        (10.0, [1.0] * 8, 3, False),  # too little history to judge
        (10.0, [8.0, 2.0] * 4, 8, False),  # within the theme's usual swings
        (1.5, [1.0] * 8, 8, False),  # not twice the usual
    ],
)
def test_is_spike(score, trailing, known, spike):
    assert is_spike(score, trailing, known_weeks=known) is spike


def test_rankings_refresh_replaces_the_snapshot_of_every_period_and_slice():
    theme = Theme.objects.create(name="Card delivery")
    mention(theme, AccountFactory(segment="smb", region="EMEA", plan_tier="free"), days_ago=100)
    # In the 180- and 365-day rankings only: all feedback, its segment, region, tier and kind of source.
    assert rankings_refresh(now=NOW) == 2 * 5
    assert set(ThemeRanking.objects.values_list("period_days", "slice")) == {
        (days, key) for days in (180, 365)
        for key in ("", "segment=smb", "region=EMEA", "tier=free", "source_kind=api")
    }
    mention(theme, AccountFactory(segment="enterprise"), days_ago=1)
    rankings_refresh(now=NOW)
    snapshot = ThemeRanking.objects.get(period_days=30, slice="")
    assert (snapshot.rank, snapshot.accounts, snapshot.mentions, snapshot.computed_at) == (1, 1, 1, NOW)
    assert not ThemeRanking.objects.filter(period_days=30, slice="segment=smb").exists()


def test_a_burst_of_refresh_requests_queues_one_refresh_until_it_runs(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(rankings_refresh_task, "delay", lambda: queued.append("refresh"))

    with django_capture_on_commit_callbacks(execute=True):
        rankings_refresh_soon()
        rankings_refresh_soon()
    assert queued == ["refresh"]

    rankings_refresh()
    with django_capture_on_commit_callbacks(execute=True):
        rankings_refresh_soon()
    assert queued == ["refresh", "refresh"]
