"""Snapshots the pages read, so that trends outlive re-clustering and no page scans all items.

- ThemeWeek: each theme's figures per week, for trends and spikes.
- ThemeRanking: the ranking over each period the list offers, for the ranked list.

Both keep, beside each score and never in it, how many units were measured negative, neutral and positive
(voc.ranking.sentiment); the ranking also keeps the competitors the units name (voc.ranking.competitors).
"""

import statistics
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from voc.ranking.models import ThemeRanking, ThemeWeek
from voc.ranking.scoring import NO_ACCOUNT, WeightPolicy, groups_score
from voc.ranking.selectors import (
    RANKING_PERIODS,
    Beside,
    account_facts,
    beside_by_slice,
    rankings_by_slice,
    sentiment_by_week,
    voice_columns_by_week,
    week_of_group,
    week_start,
)
from voc.ranking.sentiment import SentimentCounts
from voc.themes.models import Theme

# A week is a spike when its score is at least SPIKE_FACTOR times the theme's own trailing mean and more than
# SPIKE_SIGMAS standard deviations above it, over at least SPIKE_MIN_HISTORY of the SPIKE_TRAILING weeks before it
# (quiet weeks count as zero). Relative to the theme itself, so a big theme's normal week is never a spike.
SPIKE_TRAILING = 8
SPIKE_MIN_HISTORY = 4
SPIKE_FACTOR = 2.0
SPIKE_SIGMAS = 3.0


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

    voices = voice_columns_by_week(since, now)
    weeks_of = {group: week_of_group(group) for group in np.unique(voices.groups).tolist()}
    # Each week is scored as it stood at its end (or now, for the current week).
    week_ends = {group: datetime.combine(week + timedelta(days=7), datetime.min.time(), tzinfo=UTC).timestamp()
                 for group, (_, week) in weeks_of.items()}
    now_of_voice = np.minimum(np.vectorize(week_ends.get, otypes=[float])(voices.groups), now.timestamp())
    accounts = account_facts(np.unique(voices.account_ids[voices.account_ids != NO_ACCOUNT]).tolist())
    scores = groups_score(voices, accounts, policy=policy, now=now_of_voice)
    themes = Theme.objects.defer("centroid").in_bulk({theme_id for theme_id, _ in weeks_of.values()})
    # Every measured unit is some voice's, so each of these weeks has a row below.
    sentiments = sentiment_by_week(since, now)
    snapshots = [
        ThemeWeek(
            theme_id=theme_id, week=week, theme_name=themes[theme_id].display_name[:200], mentions=score.mentions,
            accounts=score.accounts, arr=score.arr, score=score.score, low=score.low, high=score.high,
            loudness=score.loudness, **asdict(sentiments.get((theme_id, week), SentimentCounts())),
        )
        for group, score in scores.items()
        for theme_id, week in [weeks_of[group]]
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
    spiking = []
    for theme_id, scores in history.items():
        for week in [week for week in scores if week >= first]:
            before = [week - timedelta(weeks=n) for n in range(1, SPIKE_TRAILING + 1)]
            known = sum(1 for earlier in before if earlier in scores)
            if is_spike(scores[week], [scores.get(earlier, 0.0) for earlier in before], known_weeks=known):
                spiking.append((theme_id, week))
    for theme_id, week in spiking:
        ThemeWeek.objects.filter(theme_id=theme_id, week=week).update(spike=True)


def is_spike(score: float, trailing: list[float], *, known_weeks: int) -> bool:
    if known_weeks < SPIKE_MIN_HISTORY:
        return False
    mean = statistics.fmean(trailing)
    spread = statistics.pstdev(trailing)
    return score >= SPIKE_FACTOR * mean and score > mean + SPIKE_SIGMAS * spread


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
