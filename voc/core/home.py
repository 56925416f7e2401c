"""What each person sees first after logging in, by what they do here.

- A product manager (the Product role, admins, superusers: whoever may change a theme's status) gets this week at
  a glance: the top themes by customer weight and how they moved, why risers rose and fallers fell in the words the
  weekly digest uses (voc.digests.selectors, so the page and Monday's email never disagree), emerging themes,
  spikes, the themes waiting for a decision, and a chart of the top themes' weekly scores.
- A customer-success person (who may log feedback but not decide on themes) gets the log form, with the accounts
  they logged for lately one click from a new note.

Everything is read from the ranking snapshots (voc.ranking.selectors.ranking_read) in one pass; only the reasons
are computed from the feedback, for the few themes that moved, and kept in the cache until the next snapshot.

This module sits above the feature apps it gathers from (ranking, themes, digests); none of them imports it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from voc.core.charts import ChartLine, weekly_lines_svg
from voc.digests.selectors import PERIOD_DAYS, mover_reason, movers_pick
from voc.ranking.models import ThemeWeek
from voc.ranking.selectors import RankedTheme, WeekSeries, ranking_read, theme_week_series, week_start
from voc.themes.models import Theme

PM, CS = "pm", "cs"
TOP_THEMES = 8
CHART_THEMES = 5
CHART_WEEKS = 12
WAITING = 5
EMERGING = 5
SPIKES = 5
# Reasons are recomputed after each snapshot; this only bounds how long a stale one could live.
REASONS_CACHE_SECONDS = 6 * 60 * 60


def home_role(user) -> str:
    """PM or CS: which home this person gets; "" for someone with neither role (they get a page of links)."""
    if user.is_staff and user.has_perm("themes.change_theme") and user.has_perm("themes.view_theme"):
        return PM
    if user.has_perm("feedback.add_feedbackitem"):
        return CS
    # Someone who may read the ranking but neither decide nor log (a custom role) still reads it best as a PM does.
    if user.is_staff and user.has_perm("themes.view_theme"):
        return PM
    return ""


@dataclass(frozen=True)
class Mover:
    row: RankedTheme
    reason: str  # e.g. "3 new accounts ($1.2M ARR, all Enterprise) in the last 7 days"
    places: int | None  # places gained (negative: lost) since a week ago; None for a theme new to the ranking

    @property
    def places_moved(self) -> str:
        """"up 2 places", "down 1 place"; "" when it kept its place or is new."""
        if not self.places:
            return ""
        count = abs(self.places)
        return f"{'up' if self.places > 0 else 'down'} {count} place{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Spike:
    theme: Theme
    week: date
    current: bool  # the week is not over yet
    score: float
    mentions: int
    accounts: int


@dataclass(frozen=True)
class PmHome:
    computed_at: datetime | None  # when the snapshot was taken; None when computed from the feedback just now
    themes_total: int
    top: list[RankedTheme]
    risers: list[Mover]
    fallers: list[Mover]
    new: list[Mover]
    emerging: list[tuple[Theme, RankedTheme | None]]  # with its ranked row when it has feedback in the period
    spikes: list[Spike]
    waiting: list[RankedTheme]
    waiting_total: int
    weeks: list[date]  # the chart's Mondays, oldest first
    series: dict[int, WeekSeries]  # the chart's themes (the first CHART_THEMES of top) by id
    current_week_partial: bool
    period_days: int = PERIOD_DAYS

    @property
    def empty(self) -> bool:
        return not self.themes_total and not self.emerging

    def chart(self) -> str:
        """The top themes' weekly scores as an inline SVG figure (voc.core.charts); "" without any."""
        lines = [
            ChartLine(label=row.theme.display_name, values=self.series[row.theme.pk].scores,
                      url=reverse("ranking-theme", args=[row.theme.pk]))
            for row in self.top[:CHART_THEMES]
            if row.theme.pk in self.series
        ]
        return weekly_lines_svg(
            weeks=self.weeks, lines=lines, last_week_partial=self.current_week_partial,
            title=f"Weekly score of the top {len(lines)} themes",
        )


def pm_home_read(*, now: datetime | None = None) -> PmHome:
    """This week at a glance for a product manager, over the ranked list's default period."""
    now = now or timezone.now()
    ranking = ranking_read(period_days=PERIOD_DAYS, order="rank")
    rows: list[RankedTheme] = list(ranking.rows)
    by_id = {row.theme.pk: row for row in rows}
    spikes = _spikes(now)
    movers = movers_pick(rows=rows)
    # The snapshot's change is the score at its moment against a week before it; the reasons read the same weeks.
    reasons = _reasons(
        [row.theme.pk for row in [*movers.risers, *movers.fallers, *movers.new]],
        now=ranking.computed_at or now, spiking={spike.theme.pk for spike in spikes},
    )

    def moved(row: RankedTheme) -> Mover:
        before = movers.rank_before.get(row.theme.pk)
        return Mover(row=row, reason=reasons.get(row.theme.pk, ""),
                     places=None if before is None else before - row.rank)

    waiting = [row for row in rows if row.theme.status == Theme.Status.NEW and not row.score.too_little_evidence]
    emerging = Theme.objects.filter(emerging=True, retired_at__isnull=True).defer("centroid").order_by("-size", "pk")
    top = rows[:TOP_THEMES]
    series = theme_week_series([row.theme.pk for row in top[:CHART_THEMES]], weeks=CHART_WEEKS, now=now)
    weeks = next(iter(series.values())).weeks if series else []
    return PmHome(
        computed_at=ranking.computed_at,
        themes_total=len(rows),
        top=top,
        risers=[moved(row) for row in movers.risers],
        fallers=[moved(row) for row in movers.fallers],
        new=[moved(row) for row in movers.new],
        emerging=[(theme, by_id.get(theme.pk)) for theme in emerging[:EMERGING]],
        spikes=spikes,
        waiting=waiting[:WAITING],
        waiting_total=len(waiting),
        weeks=weeks,
        series=series,
        # The series ends on the week holding `now`, which has days still to come; the series says so itself when
        # it can (WeekSeries.partial_last), else it is read off the last Monday.
        current_week_partial=bool(weeks) and getattr(
            next(iter(series.values())), "partial_last", weeks[-1] == week_start(now)
        ),
    )


def _spikes(now: datetime) -> list[Spike]:
    """Live themes whose weekly score spiked this week or last, the current week first, then the highest."""
    this_week = week_start(now)
    weeks = ThemeWeek.objects.filter(
        spike=True, week__in=[this_week, this_week - timedelta(weeks=1)], theme__retired_at__isnull=True
    ).select_related("theme").defer("theme__centroid").order_by("-week", "-score", "theme_id")
    return [
        Spike(theme=week.theme, week=week.week, current=week.week == this_week, score=week.score,
              mentions=week.mentions, accounts=week.accounts)
        for week in weeks[:SPIKES]
    ]


def _reasons(theme_ids: list[int], *, now: datetime, spiking: set[int]) -> dict[int, str]:
    """Why each theme moved, as the digest says it; cached per snapshot, as each costs two scorings of a theme."""
    key = f"voc:home:reasons:{now.isoformat()}:{','.join(map(str, sorted(theme_ids)))}"
    reasons = cache.get(key)
    if reasons is None:
        reasons = {
            theme_id: mover_reason(theme_id=theme_id, now=now, spike=theme_id in spiking) for theme_id in theme_ids
        }
        cache.set(key, reasons, REASONS_CACHE_SECONDS)
    return reasons
