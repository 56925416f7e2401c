"""What a weekly digest says, read from the ranking snapshots: top themes, movers and why, new themes, status
changes and a few of the customers' own words.

Each theme's line also says how its customers feel, beside its score (voc.ranking.sentiment): the prevailing
sentiment of its units over the period with its share, and whether the negative share of the last 4 closed weeks
moved 10 points or more against the 8 before them: "mostly negative (62%), getting worse"."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from voc.accounts.models import Account
from voc.core.money import money as format_money
from voc.digests.models import DigestSubscription
from voc.ranking.scoring import Contribution, ranks
from voc.ranking.selectors import (
    RankedTheme,
    WeekOverWeek,
    ranking_read,
    theme_week_over_week,
    theme_week_series,
    themed_feedback,
    themed_units,
)
from voc.ranking.sentiment import sentiment_phrase, sentiment_trend
from voc.themes.models import Curation, Theme
from voc.themes.preprocess import text_for_embedding
from voc.themes.selectors import theme_quotes

# The ranked list's default period: the digest's figures match what a lead sees on opening it.
PERIOD_DAYS = 90
TOP_THEMES = 5
MOVERS = 3
NEW_THEMES = 5
STATUS_CHANGES = 10
QUOTES_PER_THEME = 2
QUOTE_CHARS = 120
SPARKLINE_WEEKS = 12
# Changes smaller than this share of the top score are noise, not movement worth a line in an email.
MOVER_MIN_SHARE = 0.01


@dataclass(frozen=True)
class DigestFilters:
    product_areas: tuple[str, ...] = ()  # names
    segments: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()

    @classmethod
    def of(cls, subscription: DigestSubscription) -> "DigestFilters":
        return cls(
            # .all(): a list page that prefetched the areas reads them without a query per row.
            product_areas=tuple(sorted(area.name for area in subscription.product_areas.all())),
            segments=tuple(sorted(subscription.segments or ())),
            tiers=tuple(sorted(subscription.tiers or ())),
        )

    def ranking_filters(self) -> dict[str, list[str]]:
        return {"product_area": list(self.product_areas), "segment": list(self.segments), "tier": list(self.tiers)}

    @property
    def label(self) -> str:
        """In words, e.g. "Payments · Enterprise, Mid-market accounts · Pro tier"; "all feedback" with none."""
        segments = dict(Account.Segment.choices)
        tiers = dict(Account.Tier.choices)
        parts = []
        if self.product_areas:
            parts.append(", ".join(self.product_areas))
        if self.segments:
            parts.append(", ".join(str(segments.get(value, value)) for value in self.segments) + " accounts")
        if self.tiers:
            parts.append(", ".join(str(tiers.get(value, value)) for value in self.tiers) + " tier")
        return " · ".join(parts) or "all feedback"


@dataclass(frozen=True)
class Quote:
    text: str
    account: str  # the account's name; "" for a customer without one (never a person's name or address)


@dataclass(frozen=True)
class ThemeLine:
    theme: Theme
    url: str
    rank: int
    rank_before: int | None  # a week ago; None when it had no score then
    score: float
    change: float
    accounts: int
    arr: Decimal
    mentions: int
    weekly_scores: list[float]  # the admin's weekly series for the same filters (theme_week_series), oldest first
    spikes: list[bool]
    reason: str = ""
    quotes: list[Quote] = field(default_factory=list)
    sentiment: str = ""  # e.g. "mostly negative (62%), getting worse"; "" with too few units measured
    partial_last: bool = False  # the last week is not over: drawn apart, its score so far

    @property
    def places(self) -> int | None:
        """Places gained (positive) or lost since a week ago; None for a theme that had no rank then."""
        return None if self.rank_before is None else self.rank_before - self.rank


@dataclass(frozen=True)
class StatusChange:
    theme: Theme
    url: str
    before: str
    after: str
    at: datetime


@dataclass(frozen=True)
class Digest:
    filters: DigestFilters
    since: datetime
    until: datetime
    period_days: int
    top: list[ThemeLine]
    themes_total: int
    risers: list[ThemeLine]
    fallers: list[ThemeLine]
    new_themes: list[ThemeLine]
    status_changes: list[StatusChange]
    mentions_this_week: int
    accounts_this_week: int
    ranking_url: str
    computed_at: datetime | None  # when the snapshots were taken; None when computed from the feedback

    @property
    def quiet(self) -> bool:
        """No feedback arrived in the subscriber's scope this week."""
        return self.mentions_this_week == 0

    @property
    def subject(self) -> str:
        # Plain ASCII where voc chooses the words: Django folds a non-ASCII subject so that some clients show a
        # leading space.
        scope = self.filters.label.replace(" · ", ", ")
        if not self.themes_total:
            return f"voc weekly: no themes for {scope}"
        if self.quiet:
            return f"voc weekly: a quiet week for {scope}"
        if self.risers:
            return f"voc weekly: {self.risers[0].theme.display_name} rose the most ({scope})"
        return f"voc weekly: {self.top[0].theme.display_name} leads ({scope})"


def digest_build(*, filters: DigestFilters, now: datetime | None = None) -> Digest:
    """The digest of the week ending now for one set of filters."""
    until = now or timezone.now()
    since = until - timedelta(days=7)
    ranking_filters = filters.ranking_filters()
    ranking = ranking_read(period_days=PERIOD_DAYS, order="rank", **ranking_filters)
    rows: list[RankedTheme] = list(ranking.rows)
    movers = movers_pick(rows=rows)
    rank_before, risers, fallers, new = movers.rank_before, movers.risers, movers.fallers, movers.new
    top = rows[:TOP_THEMES]

    shown = {row.theme.pk for row in [*top, *risers, *fallers, *new]}
    # The series the ranked list draws for the same filters, so a theme's trend looks the same in the admin and the
    # email: the same weeks and values, the current week last and drawn apart (a Monday's digest would otherwise end
    # every trend in a drop to a nearly empty week).
    series = theme_week_series(shown, weeks=SPARKLINE_WEEKS, now=until, **ranking_filters)

    def line(row: RankedTheme, *, explain: bool = False, quotes: bool = False) -> ThemeLine:
        weeks = series[row.theme.pk]
        reason = ""
        if explain:
            reason = mover_reason(theme_id=row.theme.pk, now=until, spike=any(weeks.spikes[-2:]), **ranking_filters)
        return ThemeLine(
            theme=row.theme, url=theme_url(row.theme), rank=row.rank, rank_before=rank_before.get(row.theme.pk),
            score=row.score.score, change=row.change, accounts=row.score.accounts, arr=row.score.arr,
            mentions=row.score.mentions, weekly_scores=weeks.scores, spikes=weeks.spikes,
            partial_last=weeks.partial_last, reason=reason,
            quotes=_quotes(row.theme, since=since, until=until, filters=ranking_filters) if quotes else [],
            sentiment=sentiment_phrase(row.sentiment, sentiment_trend(weeks.sentiments)),
        )

    this_week = themed_feedback(since, until, **ranking_filters)
    return Digest(
        filters=filters,
        since=since,
        until=until,
        period_days=PERIOD_DAYS,
        top=[line(row, quotes=True) for row in top],
        themes_total=len(rows),
        risers=[line(row, explain=True) for row in risers],
        fallers=[line(row, explain=True) for row in fallers],
        new_themes=[line(row, explain=True) for row in new],
        status_changes=_status_changes(since, until, product_areas=filters.product_areas),
        mentions_this_week=this_week.count(),
        accounts_this_week=this_week.exclude(account=None).values("account").distinct().count(),
        ranking_url=_ranking_url(filters),
        computed_at=ranking.computed_at,
    )


@dataclass(frozen=True)
class Movers:
    """The themes that moved in the ranking this week, as the digest and the PM's home page list them."""

    risers: list[RankedTheme]
    fallers: list[RankedTheme]
    new: list[RankedTheme]  # no feedback in the period as it stood a week ago
    rank_before: dict[int, int]  # theme id → its place a week ago, for the themes that had one


def movers_pick(*, rows: Sequence[RankedTheme]) -> Movers:
    """Risers, fallers and new themes among a whole ranking (every row, best first, from ranking_read)."""
    # A week ago each theme scored its score less its change; ranked among themselves, they give last week's places.
    week_ago = {row.theme.pk: row.score.score - row.change for row in rows}
    rank_before = ranks({theme_id: score for theme_id, score in week_ago.items() if score > 1e-9})
    top_score = rows[0].score.score if rows else 0.0

    # New to the ranking: no feedback in the period as it stood a week ago. (Not the theme row's age: re-clustering
    # makes new rows for old problems.)
    new = [row for row in rows if row.theme.pk not in rank_before][:NEW_THEMES]
    new_ids = {row.theme.pk for row in new}
    # Movers gained (or lost) both score and places; the biggest change in score first, as the weight is what counts.
    moved = [
        row for row in rows if row.theme.pk not in new_ids and abs(row.change) >= MOVER_MIN_SHARE * top_score
    ]
    risers = sorted(
        (row for row in moved if row.change > 0 and rank_before[row.theme.pk] > row.rank), key=lambda row: -row.change
    )[:MOVERS]
    fallers = sorted(
        (row for row in moved if row.change < 0 and rank_before[row.theme.pk] < row.rank), key=lambda row: row.change
    )[:MOVERS]
    return Movers(risers=risers, fallers=fallers, new=new, rank_before=rank_before)


def mover_reason(*, theme_id: int, now: datetime, spike: bool = False, **filters) -> str:
    """Why a theme's score moved in the week ending now, in words (filters: as for ranking_read)."""
    change = theme_week_over_week(theme_id=theme_id, period_days=PERIOD_DAYS, now=now, **filters)
    return _reason(change, spike=spike)


def _reason(change: WeekOverWeek, *, spike: bool) -> str:
    """Why a theme's score moved this week, in words, from the voices that make it up now and a week ago."""
    now = {_voice_key(c): c for c in (change.now.contributions if change.now else ())}
    before = {_voice_key(c): c for c in (change.week_ago.contributions if change.week_ago else ())}
    arrived = [c for key, c in now.items() if key not in before]
    new_accounts = [c.account_id for c in arrived if c.account_id is not None]
    new_people = len(arrived) - len(new_accounts)
    parts = []
    if (change.now.score if change.now else 0.0) >= (change.week_ago.score if change.week_ago else 0.0):
        arrivals = [_accounts_phrase(new_accounts, change, adjective="new")] if new_accounts else []
        if new_people:
            arrivals.append(f"{new_people} new {'person' if new_people == 1 else 'people'} without an account")
        if arrivals:
            parts.append(f"{' and '.join(arrivals)} in the last 7 days")
        elif fresher := [key for key, c in now.items() if key in before and c.weight > before[key].weight + 1e-9]:
            parts.append(f"new mentions from {_count(len(fresher), 'account')} already counted")
        if spike:
            parts.append("a spike in its weekly score")
        return "; ".join(parts)
    if gone := [c.account_id for key, c in before.items() if key not in now and c.account_id is not None]:
        parts.append(f"{_accounts_phrase(gone, change)} dropped out of the {PERIOD_DAYS}-day window")
    if not new_accounts:
        parts.append("no new accounts in the last 7 days" + ("" if gone else ", and older mentions count for less"))
    return "; ".join(parts)


def _voice_key(contribution: Contribution) -> tuple:
    if contribution.account_id is not None:
        return ("account", contribution.account_id)
    return ("author", contribution.label)


def _accounts_phrase(account_ids: list[int], change: WeekOverWeek, *, adjective: str = "") -> str:
    """e.g. "3 new accounts ($1.2M ARR, mostly Enterprise)"."""
    facts = [change.accounts[pk] for pk in account_ids if pk in change.accounts]
    arr = sum((fact.arr or Decimal(0) for fact in facts), Decimal(0))
    details = [f"{money(arr)} ARR"] if arr else []
    labels = dict(Account.Segment.choices)
    segments = Counter(fact.segment for fact in facts if fact.segment)
    if segments:
        segment, count = segments.most_common(1)[0]
        if count == len(account_ids):
            details.append(f"{'all ' if count > 1 else ''}{labels.get(segment, segment)}")
        elif count * 2 > len(account_ids):
            details.append(f"mostly {labels.get(segment, segment)}")
    described = f" ({', '.join(details)})" if details else ""
    noun = _count(len(account_ids), "account")
    return f"{noun.replace(' ', f' {adjective} ', 1) if adjective else noun}{described}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun if number == 1 else f'{noun}s'}"


def money(amount: Decimal | float) -> str:
    """ARR in the digest's sentences: $950, $12k, $1.2M (voc.core.money, as every page writes it)."""
    return format_money(amount, short=True)


def _quotes(theme: Theme, *, since: datetime, until: datetime, filters: dict) -> list[Quote]:
    """The quotes the theme's page shows (its core members, picked by the theme engine), PII redacted and
    shortened. A theme the engine has not described yet quotes its freshest words from its biggest accounts, one
    per account, from the week when it has any, else from the period."""
    core = theme_quotes(theme=theme)
    if core:
        return [
            Quote(text=text, account=unit.item.account.name if unit.item.account else "")
            for unit in core
            if (text := _shortened(text_for_embedding(unit.words)))
        ]
    for start in (since, until - timedelta(days=PERIOD_DAYS)):
        units = (
            themed_units(start, until, **filters)
            .filter(theme=theme)
            .select_related("item__account")
            .order_by(F("item__account__arr").desc(nulls_last=True), "-item__occurred_at")
            .only("start", "end", "text", "item__text", "item__account__name", "item__account__arr")[:50]
        )
        quotes, seen = [], set()
        for unit in units:
            account_id = unit.item.account_id
            if account_id in seen and account_id is not None:
                continue
            text = _shortened(text_for_embedding(unit.words))
            if text:
                seen.add(account_id)
                quotes.append(Quote(text=text, account=unit.item.account.name if unit.item.account else ""))
            if len(quotes) == QUOTES_PER_THEME:
                return quotes
        if quotes:
            return quotes
    return []


def _shortened(text: str) -> str:
    if len(text) <= QUOTE_CHARS:
        return text
    cut = text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:.-")
    return f"{cut}…"


def _status_changes(since: datetime, until: datetime, *, product_areas: tuple[str, ...]) -> list[StatusChange]:
    """Status set on live themes this week, latest first, one line per theme."""
    curations = Curation.objects.filter(
        action=Curation.Action.STATUS, created_at__gte=since, created_at__lt=until, theme__retired_at__isnull=True
    ).select_related("theme")
    if product_areas:
        curations = curations.filter(theme__product_area__name__in=product_areas)
    labels = dict(Theme.Status.choices)
    changes, seen = [], set()
    for curation in curations.order_by("-created_at", "-pk")[: STATUS_CHANGES * 5]:
        if curation.theme_id in seen:
            continue
        seen.add(curation.theme_id)
        before, after = curation.detail.get("before"), curation.detail.get("after")
        changes.append(StatusChange(
            theme=curation.theme, url=theme_url(curation.theme), before=str(labels.get(before, before or "—")),
            after=str(labels.get(after, after or "—")), at=curation.created_at,
        ))
    return changes[:STATUS_CHANGES]


def theme_url(theme: Theme) -> str:
    return f"{settings.VOC_BASE_URL}{reverse('ranking-theme', args=[theme.pk])}"


def _ranking_url(filters: DigestFilters) -> str:
    query = [("period", f"{PERIOD_DAYS}d")] + [
        (name, value) for name, values in filters.ranking_filters().items() for value in values
    ]
    return f"{settings.VOC_BASE_URL}{reverse('ranking-list')}?{urlencode(query)}"


# --- When digests are due ---------------------------------------------------------------------------------


def digest_week(subscription: DigestSubscription, now: datetime) -> date | None:
    """The Monday of the subscriber's local week whose digest is due at `now`, or None before its day and hour
    come round (and in the week the subscription was made, when its moment had already passed)."""
    zone = ZoneInfo(subscription.timezone)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    scheduled = datetime.combine(monday + timedelta(days=subscription.day_of_week), time(subscription.hour), zone)
    if local < scheduled or (subscription.created_at and scheduled < subscription.created_at):
        return None
    return monday


def subscriptions_due(now: datetime) -> list[tuple[DigestSubscription, date]]:
    """Active subscriptions whose digest for this week is due, with that week; claimed ones included."""
    due = []
    for subscription in DigestSubscription.objects.filter(active=True):
        week = digest_week(subscription, now)
        if week is not None:
            due.append((subscription, week))
    return due
