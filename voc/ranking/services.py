"""Snapshots the pages read, so that trends outlive re-clustering and no page scans all items.

- ThemeWeek: each theme's figures per week, for trends and spikes.
- ThemeRanking: the ranking over each period the list offers, for the ranked list.

Both keep, beside each score and never in it, how many units were measured negative, neutral and positive
(voc.ranking.sentiment); the ranking also keeps the competitors the units name (voc.ranking.competitors).
"""

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from voc.ranking.models import ThemeRanking, ThemeWeek
from voc.ranking.scoring import WeightPolicy
from voc.ranking.selectors import (
    RANKING_PERIODS,
    Beside,
    beside_by_slice,
    rankings_by_slice,
    sentiment_by_week,
    week_start,
    weeks_scored,
)
from voc.ranking.sentiment import SentimentCounts
from voc.ranking.spikes import SPIKE_TRAILING, week_is_spike
from voc.themes.models import Theme


def weeks_refresh(*, weeks: int = 2, now: datetime | None = None, policy: WeightPolicy | None = None) -> int:
    """(Re)compute the snapshots of the last `weeks` weeks, the current one included; returns how many were written.

    Older weeks are left as they were computed: that is the history a re-cluster must not rewrite. The nightly task
    refreshes two weeks (the current and the one that just closed); a backfill passes more.
    """
    now = now or timezone.now()
    policy = policy or WeightPolicy.from_settings()
    current = week_start(now)
    first = current - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo or timezone.get_current_timezone())

    scores = weeks_scored(since, now, policy=policy)
    themes = Theme.objects.defer("centroid").in_bulk({theme_id for theme_id, _ in scores})
    # Every measured unit is some voice's, so each of these weeks has a row below.
    sentiments = sentiment_by_week(since, now)
    snapshots = [
        ThemeWeek(
            theme_id=theme_id, week=week, theme_name=themes[theme_id].display_name[:200], mentions=score.mentions,
            accounts=score.accounts, arr=score.arr, score=score.score, low=score.low, high=score.high,
            loudness=score.loudness, **asdict(sentiments.get((theme_id, week), SentimentCounts())),
        )
        for (theme_id, week), score in scores.items()
    ]
    with transaction.atomic():
        ThemeWeek.objects.filter(week__gte=first).delete()
        ThemeWeek.objects.bulk_create(snapshots, batch_size=1000)
        _mark_spikes(first)
    return len(snapshots)


def _mark_spikes(first) -> None:
    rows = ThemeWeek.objects.filter(
        theme_id__in=ThemeWeek.objects.filter(week__gte=first).values("theme_id"),
        week__gte=first - timedelta(weeks=SPIKE_TRAILING),
    )
    history: dict[int, dict] = defaultdict(dict)
    for theme_id, week, score in rows.values_list("theme_id", "week", "score"):
        history[theme_id][week] = score
    spiking = [
        (theme_id, week)
        for theme_id, scores in history.items()
        for week in scores
        if week >= first and week_is_spike(scores, week)
    ]
    for theme_id, week in spiking:
        ThemeWeek.objects.filter(theme_id=theme_id, week=week).update(spike=True)


# Set while a snapshot refresh is queued: a burst of emerging themes asks for one refresh, not one each.
REFRESH_QUEUED_KEY = "voc:rankings-refresh-queued"
REFRESH_QUEUED_FOR = 15 * 60  # seconds; the beat refresh comes at least this often anyway


def rankings_refresh_soon() -> None:
    """Queue a snapshot refresh once the current transaction commits, unless one is queued already."""
    from voc.ranking.tasks import rankings_refresh_task  # the tasks module imports this one

    if cache.add(REFRESH_QUEUED_KEY, True, timeout=REFRESH_QUEUED_FOR):
        transaction.on_commit(rankings_refresh_task.delay, robust=True)


def rankings_refresh(*, now: datetime | None = None, policy: WeightPolicy | None = None) -> int:
    """Recompute the ranking snapshots of every period the list offers, for all feedback and for each single filter
    on accounts or sources; returns how many rows were written."""
    cache.delete(REFRESH_QUEUED_KEY)  # what arrives from now on is asked for again
    now = now or timezone.now()
    written = 0
    for period_days in RANKING_PERIODS:
        beside = beside_by_slice(period_days=period_days, now=now)
        snapshots = [
            ThemeRanking(
                period_days=period_days, slice=key, theme=row.theme, rank=row.rank,
                rank_by_mentions=row.rank_by_mentions, score=row.score.score, low=row.score.low, high=row.score.high,
                change=row.change, change_4_weeks=row.change_4_weeks, accounts=row.score.accounts, arr=row.score.arr,
                mentions=row.score.mentions, loudness=row.score.loudness,
                too_little_evidence=row.score.too_little_evidence, computed_at=now,
                **_beside_columns(beside.get(key, {}).get(row.theme.pk)),
            )
            for key, rows in rankings_by_slice(period_days=period_days, now=now, policy=policy).items()
            for row in rows
        ]
        # Per period, in one transaction: a page reads either the old ranking or the new one, never a mix.
        with transaction.atomic():
            ThemeRanking.objects.filter(period_days=period_days).delete()
            ThemeRanking.objects.bulk_create(snapshots, batch_size=2000)
        written += len(snapshots)
    return written


def _beside_columns(beside: Beside | None) -> dict:
    if beside is None:
        return {}
    return asdict(beside.sentiment) | {
        "competitors": {
            str(competitor_id): {"accounts": accounts, "mentions": mentions}
            for competitor_id, (accounts, mentions) in sorted(beside.competitors.items())
        }
    }
