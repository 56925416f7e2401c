"""A theme's weekly series: the same measure filtered or not, and the unfinished week known as such."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import AccountFactory, FeedbackItemFactory
from voc.feedback.models import FeedbackItem
from voc.ranking.selectors import theme_week_series, week_start
from voc.ranking.services import weeks_refresh
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db

# A Wednesday noon: the current week is two and a half days old.
NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


def said(theme, account, *, weeks_ago, days=0):
    return FeedbackItemFactory(
        theme=theme, account=account, status=FeedbackItem.Status.PROCESSED,
        occurred_at=NOW - dt.timedelta(weeks=weeks_ago, days=days, minutes=1),
    )


@pytest.fixture
def enterprise():
    return [AccountFactory(name=f"Large {n}", arr=Decimal(400_000), segment="enterprise") for n in range(3)]


@pytest.fixture
def smb():
    return [AccountFactory(name=f"Small {n}", arr=Decimal(5_000), segment="smb") for n in range(4)]


def test_a_segment_filter_draws_that_segments_own_weeks(enterprise, smb):
    # Enterprise accounts speak in weeks 5 and 1 ago, small ones in weeks 3 and 0; a twin theme holds only the
    # enterprise mentions, so its unfiltered weeks are what the filtered weeks must be.
    mixed, twin = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Enterprise only")
    for theme in (mixed, twin):
        for weeks_ago in (5, 1):
            for account in enterprise:
                said(theme, account, weeks_ago=weeks_ago)
    for weeks_ago in (3, 0):
        for account in smb:
            said(mixed, account, weeks_ago=weeks_ago)
    weeks_refresh(weeks=8, now=NOW)

    unfiltered = theme_week_series([mixed.pk, twin.pk], weeks=8, now=NOW)
    filtered = theme_week_series([mixed.pk], weeks=8, now=NOW, segment="enterprise")[mixed.pk]

    assert filtered.scores != unfiltered[mixed.pk].scores
    assert filtered.scores == pytest.approx(unfiltered[twin.pk].scores, rel=1e-9)
    assert [score > 0 for score in filtered.scores] == [False, False, True, False, False, False, True, False]
    assert filtered.weeks == unfiltered[mixed.pk].weeks


def test_a_filter_that_keeps_everything_draws_the_snapshots_series(enterprise):
    # The same definition both ways: computed from the feedback, a week scores (and spikes) as its snapshot does.
    theme = Theme.objects.create(name="Outage")
    for weeks_ago in range(1, 7):
        said(theme, enterprise[weeks_ago % 3], weeks_ago=weeks_ago)
    for account in enterprise:
        for days in range(3):
            said(theme, account, weeks_ago=0, days=days * 0.5)
    weeks_refresh(weeks=10, now=NOW)

    snapshots = theme_week_series([theme.pk], weeks=8, now=NOW)[theme.pk]
    computed = theme_week_series([theme.pk], weeks=8, now=NOW, segment="enterprise")[theme.pk]

    assert computed.scores == pytest.approx(snapshots.scores, rel=1e-9)
    assert computed.spikes == snapshots.spikes
    assert snapshots.spikes[-1]  # the burst this week, judged on the weeks before the first one shown too
    assert computed.sentiments == snapshots.sentiments


def test_filters_on_themes_read_the_snapshots(enterprise, smb):
    theme = Theme.objects.create(name="Login")
    said(theme, enterprise[0], weeks_ago=2)
    said(theme, smb[0], weeks_ago=1)
    weeks_refresh(weeks=4, now=NOW)
    assert theme_week_series([theme.pk], weeks=4, now=NOW, status="new", product_area=[])[theme.pk].scores == (
        theme_week_series([theme.pk], weeks=4, now=NOW)[theme.pk].scores
    )


def test_a_filtered_page_of_themes_costs_the_same_few_queries_however_many_themes(
    enterprise, django_assert_max_num_queries
):
    themes = [Theme.objects.create(name=f"Theme {n}") for n in range(30)]
    for number, theme in enumerate(themes):
        said(theme, enterprise[number % 3], weeks_ago=number % 12)
    with django_assert_max_num_queries(4):
        series = theme_week_series([theme.pk for theme in themes], weeks=12, now=NOW, segment="enterprise")
    assert sum(1 for weekly in series.values() if sum(weekly.scores) > 0) == 30


def test_the_current_week_is_known_to_be_unfinished_and_never_scaled(enterprise):
    theme = Theme.objects.create(name="Fees")
    said(theme, enterprise[0], weeks_ago=0)
    weeks_refresh(weeks=2, now=NOW)
    for weekly in (theme_week_series([theme.pk], weeks=4, now=NOW)[theme.pk],
                   theme_week_series([theme.pk], weeks=4, now=NOW, segment="enterprise")[theme.pk]):
        assert weekly.weeks[-1] == week_start(NOW)
        assert weekly.partial_last
        assert weekly.days_so_far == 3  # Monday to Wednesday
    with_a_week_more = theme_week_series([theme.pk], weeks=4, now=NOW + dt.timedelta(days=7))[theme.pk]
    assert with_a_week_more.scores[-2] == theme_week_series([theme.pk], weeks=4, now=NOW)[theme.pk].scores[-1]
