"""Sentiment per theme: how the customers who raised a theme felt, shown beside its score and never part of it.

The rule, step by step:

1. A theme's sentiment over a period is how many of its units (voc.feedback.units) were measured negative, neutral
   and positive (FeedbackUnit.sentiment, set in processing). A unit not measured yet counts in none. Units, not
   items: a unit holds the customer's words about this theme, while one item may praise one thing and curse another.
2. Its shares are those counts over the measured units. Its prevailing sentiment is the one with more units than
   each of the other two, once at least MIN_MEASURED units are measured; a tie at the top is "mixed". "Mostly
   negative" means exactly that: negative is the largest share, and the share is always shown beside the words.
   The ranked list's filter ?sentiment=negative keeps the themes whose prevailing sentiment is negative.
3. Its trend compares the negative share of the last RECENT_WEEKS weeks with that of the EARLIER_WEEKS weeks before
   them (the ThemeWeek snapshots), each with at least MIN_MEASURED measured units: TREND_POINTS percentage points
   or more up is "getting worse", as much down "getting better", anything between "steady".
4. In words, for the digest: "mostly negative (62%), getting worse".

The score never reads any of it (voc.ranking.scoring takes no sentiment): a theme customers hate weighs what its
accounts weigh. The snapshots keep the counts beside the score (ThemeRanking, ThemeWeek), so no page counts a
million units to show them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.lookups import GreaterThanOrEqual

from voc.feedback.models import Sentiment

SENTIMENTS = tuple(Sentiment.values)  # negative, neutral, positive: the order of every bar and column
# Fewer measured units than this say nothing about how a theme's customers feel (the ranking's own minimum of
# accounts is 3 too).
MIN_MEASURED = 3
RECENT_WEEKS = 4
EARLIER_WEEKS = 8
# 10 points: a theme at 40% negative reads "getting worse" at 50%. Smaller moves are what a few more measured units
# do to a share by chance at the sizes most themes have (a dozen units a week).
TREND_POINTS = 0.10
MIXED = "mixed"
TREND_WORDS = {"worse": "getting worse", "better": "getting better", "steady": "steady"}


@dataclass(frozen=True)
class SentimentCounts:
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def measured(self) -> int:
        return self.negative + self.neutral + self.positive

    def share(self, sentiment: str) -> float:
        """0 to 1; 0 with nothing measured."""
        return getattr(self, sentiment) / self.measured if self.measured else 0.0

    @property
    def shares(self) -> list[tuple[str, int, float]]:
        """(sentiment, units, share) in the order of SENTIMENTS, for bars and tables."""
        return [(name, getattr(self, name), self.share(name)) for name in SENTIMENTS]

    @property
    def prevailing(self) -> str:
        """The sentiment with the most units, "mixed" on a tie at the top, "" below MIN_MEASURED measured units."""
        if self.measured < MIN_MEASURED:
            return ""
        top = max(getattr(self, name) for name in SENTIMENTS)
        leaders = [name for name in SENTIMENTS if getattr(self, name) == top]
        return leaders[0] if len(leaders) == 1 else MIXED

    def percent(self, sentiment: str) -> int:
        """The share in whole percent, as shown."""
        return round(100 * self.share(sentiment))


def sentiment_counts(units, *, group=None, by: str | None = None) -> dict[tuple, SentimentCounts]:
    """Measured units added up by the database: {(group, value of `by`): counts}, group being the unit's theme
    unless another expression is given, and the value None when `by` (a unit lookup) is not given."""
    rows = (
        units.exclude(sentiment="")
        .annotate(group=group if group is not None else F("theme_id"))
        .values("group", *([by] if by else []), "sentiment")
        .order_by()
        .annotate(units=Count("pk"))
    )
    counts: dict[tuple, dict[str, int]] = {}
    for row in rows:
        key = (row["group"], row[by] if by else None)
        counts.setdefault(key, dict.fromkeys(SENTIMENTS, 0))[row["sentiment"]] = row["units"]
    return {key: SentimentCounts(**values) for key, values in counts.items()}


def prevailing_q(sentiment: str) -> Q:
    """Snapshot rows (ThemeRanking, ThemeWeek) whose prevailing sentiment is the one given."""
    others = [name for name in SENTIMENTS if name != sentiment]
    measured = GreaterThanOrEqual(sum((F(name) for name in SENTIMENTS[1:]), F(SENTIMENTS[0])), MIN_MEASURED)
    return Q(measured, **{f"{sentiment}__gt": F(others[0])}) & Q(**{f"{sentiment}__gt": F(others[1])})


def sentiment_trend(weeks: Sequence[SentimentCounts]) -> str:
    """"worse", "better" or "steady" from weekly counts (oldest first); "" with too few measured units."""
    shares = []
    for window in (weeks[-RECENT_WEEKS:], weeks[-RECENT_WEEKS - EARLIER_WEEKS : -RECENT_WEEKS]):
        measured = sum(week.measured for week in window)
        if measured < MIN_MEASURED:
            return ""
        shares.append(sum(week.negative for week in window) / measured)
    change = shares[0] - shares[1]
    # A hair under the threshold, so that 40% → 50% (0.09999… in floating point) reads as the 10 points it is.
    if change >= TREND_POINTS - 1e-9:
        return "worse"
    if change <= -TREND_POINTS + 1e-9:
        return "better"
    return "steady"


def sentiment_phrase(counts: SentimentCounts, trend: str = "") -> str:
    """E.g. "mostly negative (62%), getting worse", "mixed", or "" when too few units are measured."""
    prevailing = counts.prevailing
    if not prevailing:
        return ""
    words = MIXED if prevailing == MIXED else f"mostly {prevailing} ({counts.percent(prevailing)}%)"
    return f"{words}, {TREND_WORDS[trend]}" if trend else words
