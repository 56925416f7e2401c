"""Themes ranked by customer weight over a period, with their explanations, straight from the feedback items."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem
from voc.ranking.scoring import AccountFacts, Mention, ThemeScore, WeightPolicy, ranks, theme_score
from voc.themes.models import Theme

# Filters a caller may pass, by name, to the item query behind the ranking.
FILTERS = {
    "segment": "account__segment",
    "tier": "account__plan_tier",
    "region": "account__region",
    "source_kind": "source__kind",
    "product_area": "theme__product_area__name",
    "status": "theme__status",
}


@dataclass(frozen=True)
class RankedTheme:
    theme: Theme
    score: ThemeScore
    rank: int  # by weight
    rank_by_mentions: int
    change: float  # score now minus the score of the same period ending a week ago


def themes_ranked(
    *, period_days: int = 90, now: datetime | None = None, policy: WeightPolicy | None = None, **filters
) -> list[RankedTheme]:
    """Live themes with feedback in the period, best first. filters: see FILTERS; an empty value is ignored."""
    now = now or timezone.now()
    policy = policy or WeightPolicy.from_settings()
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filter {', '.join(sorted(unknown))}; use {', '.join(FILTERS)}")
    lookups = {FILTERS[name]: value for name, value in filters.items() if value not in (None, "")}

    current = _theme_scores(now - timedelta(days=period_days), now, lookups, policy)
    week_ago = now - timedelta(days=7)
    earlier = _theme_scores(week_ago - timedelta(days=period_days), week_ago, lookups, policy)
    by_weight = ranks({theme_id: score.score for theme_id, score in current.items()})
    by_mentions = ranks({theme_id: score.mentions for theme_id, score in current.items()})
    themes = Theme.objects.select_related("product_area").in_bulk(list(current))
    ranked = [
        RankedTheme(
            theme=themes[theme_id],
            score=score,
            rank=by_weight[theme_id],
            rank_by_mentions=by_mentions[theme_id],
            change=score.score - (earlier[theme_id].score if theme_id in earlier else 0.0),
        )
        for theme_id, score in current.items()
    ]
    return sorted(ranked, key=lambda row: row.rank)


def _theme_scores(since: datetime, until: datetime, lookups: dict, policy: WeightPolicy) -> dict[int, ThemeScore]:
    mentions = mentions_by_theme(since, until, lookups)
    accounts = account_facts({m.account_id for said in mentions.values() for m in said})
    return {
        theme_id: theme_score(said, accounts, policy=policy, now=until, seed=theme_id)
        for theme_id, said in mentions.items()
    }


def mentions_by_theme(since: datetime, until: datetime, lookups: dict | None = None) -> dict[int, list[Mention]]:
    """Processed feedback in live themes over [since, until), as mentions per theme id."""
    rows = (
        FeedbackItem.objects.filter(
            status=FeedbackItem.Status.PROCESSED,
            theme__isnull=False,
            theme__retired_at__isnull=True,
            occurred_at__gte=since,
            occurred_at__lt=until,
            **(lookups or {}),
        )
        .values_list(
            "theme_id", "account_id", "author_email", "author_handle", "pk", "source__reliability_weight", "occurred_at"
        )
        .iterator(chunk_size=5000)
    )
    mentions: dict[int, list[Mention]] = defaultdict(list)
    for theme_id, account_id, email, handle, item_id, reliability, occurred_at in rows:
        author = email or handle or f"item {item_id}"
        mentions[theme_id].append(Mention(account_id, author, reliability, occurred_at))
    return mentions


def account_facts(account_ids) -> dict[int, AccountFacts]:
    ordered = sorted(account_id for account_id in account_ids if account_id is not None)
    accounts = {}
    for start in range(0, len(ordered), 900):  # SQLite caps the variables in one query
        chunk = Account.objects.filter(pk__in=ordered[start : start + 900])
        for pk, name, arr, tier, segment in chunk.values_list("pk", "name", "arr", "plan_tier", "segment"):
            accounts[pk] = AccountFacts(name=name, arr=arr, tier=tier, segment=segment)
    return accounts


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the week holding this moment."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekSeries:
    weeks: list[date]  # Mondays, oldest first, the current week last
    scores: list[float]  # 0 for a quiet week
    spikes: list[bool]


def theme_week_series(theme_ids, *, weeks: int, now: datetime | None = None) -> dict[int, WeekSeries]:
    """Each theme's weekly scores and spike flags from the snapshots, aligned on the same `weeks` weeks."""
    from voc.ranking.models import ThemeWeek

    last = week_start(now or timezone.now())
    mondays = [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    series = {theme_id: WeekSeries(mondays, [0.0] * weeks, [False] * weeks) for theme_id in theme_ids}
    rows = ThemeWeek.objects.filter(theme_id__in=list(series), week__gte=mondays[0], week__lte=last)
    for theme_id, week, score, spike in rows.values_list("theme_id", "week", "score", "spike"):
        index = (week - mondays[0]).days // 7
        series[theme_id].scores[index], series[theme_id].spikes[index] = score, spike
    return series


def theme_week_scores(theme_ids, *, weeks: int, now: datetime | None = None) -> dict[int, list[float]]:
    """Each theme's weekly score, oldest first, the current week last; 0 for a quiet week."""
    return {theme_id: series.scores for theme_id, series in theme_week_series(theme_ids, weeks=weeks, now=now).items()}
