"""Sentiment per theme: counted from measured units, named by its largest share, trended on the last weeks, kept in
the snapshots beside the score, and never part of it."""

import datetime as dt

import pytest

from tests.factories import AccountFactory
from tests.ranking.conftest import NOW, mention, same_score
from voc.feedback.models import FeedbackUnit
from voc.ranking.models import ThemeRanking, ThemeWeek
from voc.ranking.selectors import ranking_read, theme_explained, theme_week_series, themes_ranked, week_start
from voc.ranking.sentiment import (
    SentimentCounts,
    sentiment_counts,
    sentiment_phrase,
    sentiment_trend,
)
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Theme


def felt(theme, sentiment: str, account=None, *, days_ago: float = 1, **fields):
    """A mention whose one unit was measured with the sentiment given ("" for not measured yet)."""
    item = mention(theme, account if account is not None else AccountFactory(), days_ago=days_ago, **fields)
    FeedbackUnit.objects.filter(item=item).update(sentiment=sentiment)
    return item


@pytest.mark.parametrize(
    ("counts", "prevailing"),
    [
        (SentimentCounts(5, 3, 2), "negative"),
        (SentimentCounts(4, 5, 3), "neutral"),  # the largest share, even below half
        (SentimentCounts(0, 1, 2), "positive"),
        (SentimentCounts(3, 3, 1), "mixed"),  # a tie at the top
        (SentimentCounts(2, 0, 0), ""),  # too few measured to say
        (SentimentCounts(), ""),
    ],
)
def test_the_prevailing_sentiment_is_the_largest_share_once_three_units_are_measured(counts, prevailing):
    assert counts.prevailing == prevailing


def test_shares_are_of_the_measured_units_in_a_fixed_order():
    counts = SentimentCounts(negative=5, neutral=3, positive=2)
    assert counts.shares == [("negative", 5, 0.5), ("neutral", 3, 0.3), ("positive", 2, 0.2)]
    assert SentimentCounts().share("negative") == 0.0


def weeks(*negative_and_measured):
    """Weekly counts from (negative, measured) pairs, the rest neutral, oldest first."""
    return [SentimentCounts(negative, measured - negative, 0) for negative, measured in negative_and_measured]


@pytest.mark.parametrize(
    ("series", "trend"),
    [
        # 8 earlier weeks at 40% negative, then the last 4 at 50%: ten points worse.
        (weeks(*[(4, 10)] * 8, *[(5, 10)] * 4), "worse"),
        (weeks(*[(5, 10)] * 8, *[(3, 10)] * 4), "better"),
        (weeks(*[(4, 10)] * 8, *[(4, 9)] * 4), "steady"),  # 40% → 44%
        (weeks(*[(4, 10)] * 8, (1, 1), (0, 0), (0, 0), (1, 1)), ""),  # two units lately say nothing
        (weeks(*[(0, 0)] * 8, *[(5, 10)] * 4), ""),
    ],
)
def test_the_trend_compares_the_negative_share_of_the_last_4_weeks_with_the_8_before(series, trend):
    assert sentiment_trend(series) == trend


def test_the_phrase_names_the_largest_share_with_its_percent_and_the_trend():
    assert sentiment_phrase(SentimentCounts(62, 25, 13), "worse") == "mostly negative (62%), getting worse"
    assert sentiment_phrase(SentimentCounts(2, 9, 1), "steady") == "mostly neutral (75%), steady"
    assert sentiment_phrase(SentimentCounts(3, 3, 0)) == "mixed"
    assert sentiment_phrase(SentimentCounts(1, 0, 0), "worse") == ""


@pytest.mark.django_db
def test_units_not_measured_yet_count_in_no_share():
    theme = Theme.objects.create(name="Exports")
    for sentiment in ("negative", "negative", "positive", ""):
        felt(theme, sentiment)
    counts = sentiment_counts(FeedbackUnit.objects.all())
    assert counts == {(theme.pk, None): SentimentCounts(negative=2, neutral=0, positive=1)}


@pytest.mark.django_db
def test_weekly_snapshots_keep_each_weeks_counts_for_the_theme_page_and_the_trend():
    theme = Theme.objects.create(name="Exports")
    for sentiment in ("negative", "negative", "neutral"):
        felt(theme, sentiment, days_ago=0.001)
    felt(theme, "positive", days_ago=14)
    felt(theme, "", days_ago=14)
    weeks_refresh(weeks=4, now=NOW)

    this_week = ThemeWeek.objects.get(theme=theme, week=week_start(NOW))
    assert (this_week.negative, this_week.neutral, this_week.positive) == (2, 1, 0)
    series = theme_week_series([theme.pk], weeks=4, now=NOW)[theme.pk].sentiments
    assert series[-1] == SentimentCounts(2, 1, 0)
    assert series[-3] == SentimentCounts(0, 0, 1)
    assert series[0] == series[2] == SentimentCounts()


@pytest.fixture
def measured(loud_and_broad):
    """The loud theme's units are measured positive, the broad theme's negative."""
    loud, broad = loud_and_broad
    FeedbackUnit.objects.filter(theme=loud).update(sentiment="positive")
    FeedbackUnit.objects.filter(theme=broad).update(sentiment="negative")
    return loud, broad


@pytest.mark.django_db
def test_the_ranking_snapshot_keeps_the_periods_counts_per_slice(measured):
    loud, broad = measured
    rankings_refresh(now=NOW)

    overall = ThemeRanking.objects.get(period_days=90, slice="", theme=broad)
    assert (overall.negative, overall.neutral, overall.positive) == (8, 0, 0)
    enterprise = ThemeRanking.objects.get(period_days=90, slice="segment=enterprise", theme=broad)
    assert enterprise.negative == 8
    small = ThemeRanking.objects.get(period_days=90, slice="segment=smb", theme=loud)
    assert (small.negative, small.positive) == (0, 40)


@pytest.mark.django_db
def test_sentiment_never_changes_a_score_or_a_rank(measured):
    loud, broad = measured
    before = {row.theme.pk: row for row in themes_ranked(now=NOW, explain=True)}
    rankings_refresh(now=NOW)
    snapshot_before = list(ThemeRanking.objects.order_by("pk").values_list("slice", "theme", "rank", "score", "low"))

    # Every customer turns furious, and the ones without a measurement stay unmeasured: nothing else moves.
    FeedbackUnit.objects.update(sentiment="negative", sentiment_score=-1.0)
    after = {row.theme.pk: row for row in themes_ranked(now=NOW, explain=True)}
    rankings_refresh(now=NOW)

    assert before.keys() == after.keys()
    for theme_id, row in before.items():
        assert same_score(after[theme_id].score, row.score)
        assert (after[theme_id].rank, after[theme_id].rank_by_mentions) == (row.rank, row.rank_by_mentions)
    assert list(ThemeRanking.objects.order_by("pk").values_list("slice", "theme", "rank", "score", "low")) == (
        snapshot_before
    )
    # What did change is shown beside the score.
    assert ThemeRanking.objects.get(period_days=90, slice="", theme=loud).negative == 40


@pytest.mark.django_db
@pytest.mark.parametrize("snapshots", [True, False], ids=["snapshots", "computed"])
def test_the_sentiment_filter_keeps_themes_whose_units_are_mostly_that(measured, snapshots):
    loud, broad = measured
    if snapshots:
        rankings_refresh(now=NOW)
    negative = ranking_read(sentiment="negative")
    assert [row.theme for row in negative.rows] == [broad]
    assert negative.rows[0].rank == 1  # ranked among the themes shown, as other filters rank
    assert negative.rows[0].sentiment == SentimentCounts(negative=8)
    assert [row.theme for row in ranking_read(sentiment="positive").rows] == [loud]
    assert list(ranking_read(sentiment="neutral").rows) == []
    with pytest.raises(ValueError, match="unknown sentiment"):
        ranking_read(sentiment="angry")


@pytest.mark.django_db
def test_two_account_filters_computed_live_filter_by_sentiment_too(measured):
    loud, broad = measured
    rankings_refresh(now=NOW)
    rows = ranking_read(sentiment="negative", segment="enterprise", tier="growth").rows
    assert [row.theme for row in rows] == [broad]
    assert ranking_read(sentiment="positive", segment="enterprise", tier="growth").rows == []


@pytest.mark.django_db
@pytest.mark.parametrize("snapshots", [True, False], ids=["snapshots", "computed"])
def test_the_list_sorts_by_the_negative_share_with_unmeasured_themes_last(measured, snapshots):
    loud, broad = measured
    quiet = Theme.objects.create(name="Not measured")
    felt(quiet, "")
    mixed = Theme.objects.create(name="Half and half")
    for sentiment in ("negative", "positive", "negative", "positive"):
        felt(mixed, sentiment)
    if snapshots:
        rankings_refresh(now=NOW)
    order = [row.theme for row in ranking_read(order="-negative").rows]
    assert order == [broad, mixed, loud, quiet]


@pytest.mark.django_db
def test_the_theme_page_reads_the_periods_sentiment_from_the_snapshot_or_else_the_themes_own_units(measured):
    _, broad = measured
    felt(broad, "neutral", days_ago=200)  # outside the 90 days
    row = theme_explained(theme=broad, period_days=90, now=NOW + dt.timedelta(seconds=1))
    assert row.sentiment == SentimentCounts(negative=8)

    rankings_refresh(now=NOW + dt.timedelta(seconds=1))
    felt(broad, "positive")  # after the snapshot: the page shows what the list shows until the next refresh
    assert theme_explained(theme=broad, period_days=90).sentiment == SentimentCounts(negative=8)
