"""Weekly snapshots of every theme's figures, so that trends outlive re-clustering and pages never scan all items."""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from voc.ranking.models import ThemeWeek
from voc.ranking.scoring import WeightPolicy, theme_score
from voc.ranking.selectors import account_facts, mentions_by_theme, week_start
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

    by_week: dict[tuple[int, object], list] = defaultdict(list)
    for theme_id, said in mentions_by_theme(since, now).items():
        for mention in said:
            by_week[(theme_id, week_start(mention.occurred_at))].append(mention)
    accounts = account_facts({m.account_id for said in by_week.values() for m in said})
    themes = Theme.objects.in_bulk({theme_id for theme_id, _ in by_week})

    snapshots = []
    for (theme_id, week), said in by_week.items():
        week_end = datetime.combine(week + timedelta(days=7), datetime.min.time(), tzinfo=since.tzinfo)
        score = theme_score(said, accounts, policy=policy, now=min(week_end, now), seed=theme_id)
        snapshots.append(
            ThemeWeek(
                theme_id=theme_id, week=week, theme_name=themes[theme_id].display_name[:200], mentions=score.mentions,
                accounts=score.accounts, arr=score.arr, score=score.score, low=score.low, high=score.high,
                loudness=score.loudness,
            )
        )
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
