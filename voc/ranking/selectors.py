"""Themes ranked by customer weight over a period, with their explanations.

Two ways to read a ranking: `themes_ranked` computes it from the feedback (the database adds mentions up per voice),
and `ranking_read` serves the pages from the snapshots `services.rankings_refresh` keeps, so no page scans all items.

A theme's mentions are the items with a unit in it (voc.feedback.units): an item that raises three problems counts
in three themes, and two of its units in one theme are one mention, so an account's voice counts once per theme it
raised, however many units or items it used.

Beside each score, and never in it, a row carries how the theme's customers felt (voc.ranking.sentiment) and the
competitors they named (voc.ranking.competitors); the list filters on both without changing a score.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import groupby

import numpy as np
from django.db import connections
from django.db.models import CharField, Count, F, FloatField, Func, IntegerField, Max, Q, Value, Window
from django.db.models.functions import Cast, Coalesce, Concat, Lower, NullIf, RowNumber, TruncWeek
from django.utils import timezone

from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.ranking.competitors import (
    CompetitorMention,
    CompetitorQuotes,
    competitor_counts,
    competitor_mentions,
    competitor_names,
    competitor_quotes,
)
from voc.ranking.scoring import (
    NO_ACCOUNT,
    AccountFacts,
    ThemeScore,
    Voice,
    VoiceColumns,
    WeightPolicy,
    groups_score,
    ranks,
)
from voc.ranking.sentiment import SENTIMENTS, SentimentCounts, prevailing_q, sentiment_counts
from voc.ranking.spikes import SPIKE_TRAILING, week_is_spike
from voc.themes.models import Theme

# Filters a caller may pass, by name, to the unit query behind the ranking.
FILTERS = {
    "segment": "item__account__segment",
    "tier": "item__account__plan_tier",
    "region": "item__account__region",
    "source_kind": "item__source__kind",
    "product_area": "theme__product_area__name",
    "status": "theme__status",
}
# Filters on the theme itself select whole themes, so they can be served from the snapshots; the others select
# some of each theme's mentions, which changes the scores, so they are computed from the feedback.
THEME_FILTERS = {"product_area": "theme__product_area__name", "status": "theme__status"}
# Filters on accounts the snapshots keep a ranking for, value by value, and the account field each reads. Source
# kind is kept too; two or more of these at once are computed from the feedback.
SLICE_ACCOUNT_FIELDS = {"segment": "segment", "tier": "tier", "region": "region"}
SLICE_FILTERS = {*SLICE_ACCOUNT_FIELDS, "source_kind"}
# The periods the snapshots keep, in days: the choices on the ranked list.
RANKING_PERIODS = (30, 90, 180, 365)
# Sortable columns: the snapshot column to sort by, and how to read the same value off a computed row.
SORTS = {
    "rank": ("shown_rank", lambda row: row.rank),
    "mentions_rank": ("shown_rank_by_mentions", lambda row: row.rank_by_mentions),
    "score": ("score", lambda row: row.score.score),
    "change": ("change", lambda row: row.change),
    "change_4_weeks": ("change_4_weeks", lambda row: row.change_4_weeks),
    "accounts": ("accounts", lambda row: row.score.accounts),
    "arr": ("arr", lambda row: row.score.arr),
    "mentions": ("mentions", lambda row: row.score.mentions),
    "loudness": ("loudness", lambda row: row.score.loudness),
    "theme": ("theme_label", lambda row: row.theme.display_name.lower()),
    "status": ("theme__status", lambda row: row.theme.status),
    # Beside the score: by the share of negative units; themes with nothing measured come last either way.
    "negative": ("negative_share", lambda row: row.sentiment.share("negative") if row.sentiment.measured else -1.0),
}


@dataclass(frozen=True)
class RankedTheme:
    theme: Theme
    score: ThemeScore
    rank: int | None  # by weight; None when no snapshot holds the theme yet
    rank_by_mentions: int | None
    change: float  # score now minus the score of the same period ending a week ago
    change_4_weeks: float  # … ending four weeks ago
    # Shown beside the score, never part of it (voc.ranking.sentiment, voc.ranking.competitors).
    sentiment: SentimentCounts = SentimentCounts()
    competitors: tuple[CompetitorMention, ...] = ()  # most accounts first


@dataclass(frozen=True)
class Ranking:
    rows: Sequence[RankedTheme]
    computed_at: datetime | None  # when the snapshot was taken; None when computed from the feedback just now


def themes_ranked(
    *,
    period_days: int = 90,
    now: datetime | None = None,
    policy: WeightPolicy | None = None,
    explain: bool = False,
    **filters,
) -> list[RankedTheme]:
    """Live themes with feedback in the period, best first, computed from the feedback; explain adds each score's
    contributions. filters: see FILTERS; an empty value is ignored, and a list matches any of its values."""
    now = now or timezone.now()
    windows = _windows(period_days=period_days, now=now, lookups=_lookups(filters))
    accounts = _facts_of(windows)
    scored = _scored_with_changes(
        windows, accounts, policy=policy or WeightPolicy.from_settings(), now=now, explain=explain
    )
    return _ranked(scored, _themes(scored))


def rankings_by_slice(
    *, period_days: int, now: datetime | None = None, policy: WeightPolicy | None = None
) -> dict[str, list[RankedTheme]]:
    """The ranking over the period for all feedback ("") and for each single filter on accounts or sources
    ("segment=enterprise", "source_kind=reddit", ...): what the snapshots keep, from one pass over the feedback."""
    now = now or timezone.now()
    policy = policy or WeightPolicy.from_settings()
    windows = _windows(period_days=period_days, now=now, by_kind=True)
    accounts = _facts_of(windows)
    windows = {weeks: cols.keyed() for weeks, cols in windows.items()}
    # Which rows each slice keeps, per window: by an attribute of the voice's account, or by the kind of source.
    known = np.array(sorted(accounts), dtype=np.int64)
    slices: dict[str, object] = {"": None}
    for name, field in SLICE_ACCOUNT_FIELDS.items():
        of_known = np.array([getattr(accounts[pk], field) for pk in known.tolist()] + [""], dtype=object)
        values = {weeks: _account_attribute(cols.account_ids, known, of_known) for weeks, cols in windows.items()}
        for value in sorted(set(of_known.tolist()) - {""}):
            slices[f"{name}={value}"] = lambda weeks, values=values, value=value: values[weeks] == value
    for kind in sorted({kind for cols in windows.values() for kind in cols.kinds.tolist()}):
        slices[f"source_kind={kind}"] = lambda weeks, kind=kind: windows[weeks].kinds == kind

    scored_by_slice = {}
    for key, keep in slices.items():
        sliced = {
            weeks: (cols if keep is None else cols.select(keep(weeks))).collapsed() for weeks, cols in windows.items()
        }
        scored_by_slice[key] = _scored_with_changes(sliced, accounts, policy=policy, now=now)
    themes = _themes({theme_id for scored in scored_by_slice.values() for theme_id in scored})
    return {key: _ranked(scored, themes) for key, scored in scored_by_slice.items()}


def ranking_read(
    *, period_days: int = 90, order: str = "rank", sentiment: str = "", competitor: int | None = None, **filters
) -> Ranking:
    """The ranked list for a page, sorted by `order` (a SORTS key; "-" first for descending).

    From the snapshots when they answer it (any theme filters, and at most one filter on accounts or sources),
    sorted and sliced by the database, so a page reads only the rows it shows; otherwise computed from the feedback.
    sentiment: only themes whose prevailing sentiment it is (voc.ranking.sentiment); competitor: only themes with a
    unit naming that competitor (an id) in the period. Neither changes a score or a rank among the themes shown.
    """
    from voc.ranking.models import ThemeRanking

    _lookups(filters)  # refuses an unknown filter
    if sentiment and sentiment not in SENTIMENTS:
        raise ValueError(f"unknown sentiment {sentiment!r}; use {', '.join(SENTIMENTS)}")
    given = {name: _values(value) for name, value in filters.items() if _values(value)}
    on_themes = {f"{THEME_FILTERS[name]}__in": values for name, values in given.items() if name in THEME_FILTERS}
    sliced_by = [f"{name}={value}" for name, values in given.items() if name in SLICE_FILTERS for value in values]
    column, row_key = SORTS.get(order.lstrip("-"), SORTS["rank"])
    descending = order.startswith("-")
    snapshots = ThemeRanking.objects.filter(period_days=period_days)
    taken = snapshots.filter(slice="").aggregate(taken=Max("computed_at"))["taken"]
    # Each snapshot slice holds one value of one filter; any more than that is computed from the feedback.
    if len(sliced_by) > 1 or taken is None:
        rows = _with_beside(themes_ranked(period_days=period_days, **filters), period_days=period_days, **filters)
        kept = [
            row for row in rows
            if (not sentiment or row.sentiment.prevailing == sentiment)
            and (competitor is None or any(mention.competitor_id == competitor for mention in row.competitors))
        ]
        if len(kept) < len(rows):  # ranks among the themes shown, as the snapshots give them
            by_weight = ranks({row.theme.pk: row.score.score for row in kept})
            by_mentions = ranks({row.theme.pk: row.score.mentions for row in kept})
            kept = [
                replace(row, rank=by_weight[row.theme.pk], rank_by_mentions=by_mentions[row.theme.pk]) for row in kept
            ]
        kept.sort(key=row_key, reverse=descending)
        return Ranking(kept, computed_at=None)

    beside = [prevailing_q(sentiment)] if sentiment else []
    if competitor is not None:
        beside.append(Q(competitors__has_key=str(competitor)))
    shown = (
        snapshots.filter(slice=sliced_by[0] if sliced_by else "", theme__retired_at__isnull=True, **on_themes)
        .filter(*beside)
        # Ranks among the themes shown, as themes_ranked gives for the same filters (ties: smaller theme id first).
        .annotate(
            shown_rank=Window(RowNumber(), order_by=[F("score").desc(), F("theme_id").asc()]),
            shown_rank_by_mentions=Window(RowNumber(), order_by=[F("mentions").desc(), F("theme_id").asc()]),
            theme_label=Lower(Coalesce(NullIf("theme__human_name", Value("")), "theme__name")),
            # As SORTS reads a computed row: -1 for a theme with nothing measured, so it sorts after the rest.
            negative_share=Coalesce(
                Cast("negative", FloatField()) / NullIf(F("negative") + F("neutral") + F("positive"), 0),
                Value(-1.0),
            ),
        )
        .select_related("theme__product_area")
        .defer("theme__centroid", "theme__keywords", "theme__representative_unit_ids")
        .order_by(F(column).desc() if descending else F(column).asc(), "theme_id")
    )
    return Ranking(SnapshotRows(shown), computed_at=taken)


class SnapshotRows(Sequence):
    """Snapshot rows as RankedThemes, built only for the slice asked for: a paginator reads one page of them."""

    def __init__(self, queryset):
        self._queryset = queryset
        self._names: dict[int, str] | None = None

    def count(self) -> int:
        return self._queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._ranked(snapshot) for snapshot in self._queryset[index]]
        return self._ranked(self._queryset[index])

    def __iter__(self):
        return (self._ranked(snapshot) for snapshot in self._queryset.iterator(chunk_size=2000))

    def _ranked(self, snapshot) -> RankedTheme:
        if self._names is None and snapshot.competitors:
            self._names = competitor_names()
        return _ranked_from(snapshot, self._names or {})


def _ranked_from(snapshot, names: dict[int, str]) -> RankedTheme:
    return RankedTheme(
        theme=snapshot.theme,
        score=ThemeScore(
            score=snapshot.score, low=snapshot.low, high=snapshot.high, contributions=(), accounts=snapshot.accounts,
            arr=snapshot.arr, mentions=snapshot.mentions, loudness=snapshot.loudness,
            too_little_evidence=snapshot.too_little_evidence,
        ),
        rank=snapshot.shown_rank,
        rank_by_mentions=snapshot.shown_rank_by_mentions,
        change=snapshot.change,
        change_4_weeks=snapshot.change_4_weeks,
        sentiment=SentimentCounts(snapshot.negative, snapshot.neutral, snapshot.positive),
        competitors=competitor_mentions(snapshot.competitors, names),
    )


def _account_attribute(account_ids: np.ndarray, known: np.ndarray, of_known: np.ndarray) -> np.ndarray:
    """Each row's account attribute ("" for an author without an account), looked up in sorted arrays."""
    if not len(known):
        return np.full(len(account_ids), "", dtype=object)
    where = np.minimum(np.searchsorted(known, account_ids), len(known) - 1)
    found = known[where] == account_ids
    return of_known[np.where(found, where, len(known))]  # of_known ends with "" for the rest


def theme_explained(*, theme: Theme, period_days: int = 90, now: datetime | None = None) -> RankedTheme | None:
    """One theme's score with its explanation, from its own items only; its ranks, sentiment and competitor mentions
    from the latest snapshot (counted from its items when no snapshot holds it yet)."""
    from voc.ranking.models import ThemeRanking

    now = now or timezone.now()
    windows = _windows(period_days=period_days, now=now, theme_ids=[theme.pk])
    scored = _scored_with_changes(
        windows, _facts_of(windows), policy=WeightPolicy.from_settings(), now=now, explain=True
    )
    if theme.pk not in scored:
        return None
    score, change, change_4_weeks = scored[theme.pk]
    snapshot = ThemeRanking.objects.filter(period_days=period_days, slice="", theme=theme).first()
    if snapshot is not None:
        beside = Beside(SentimentCounts(snapshot.negative, snapshot.neutral, snapshot.positive), snapshot.competitors)
    else:
        units = _themed_units(now - timedelta(days=period_days), now, None).filter(theme=theme)
        beside = _beside(units).get((theme.pk, None), Beside(SentimentCounts(), {}))
    return RankedTheme(
        theme=theme,
        score=score,
        rank=snapshot.rank if snapshot else None,
        rank_by_mentions=snapshot.rank_by_mentions if snapshot else None,
        change=change,
        change_4_weeks=change_4_weeks,
        sentiment=beside.sentiment,
        competitors=competitor_mentions(beside.competitors, competitor_names()) if beside.competitors else (),
    )


def theme_competitor_quotes(
    *, theme: Theme, mentions: Sequence[CompetitorMention], period_days: int = 90, now: datetime | None = None
) -> list[CompetitorQuotes]:
    """The latest units of the period naming each competitor the theme's customers named (its mentions, as
    theme_explained gives them)."""
    now = now or timezone.now()
    return competitor_quotes(_themed_units(now - timedelta(days=period_days), now, None).filter(theme=theme), mentions)


@dataclass(frozen=True)
class Beside:
    """What the list shows beside a theme's score, never in it: how its customers felt and whom they compared."""

    sentiment: SentimentCounts
    competitors: dict[int, tuple[int, int]]  # competitor id → (accounts, mentions)


def beside_by_slice(*, period_days: int, now: datetime | None = None) -> dict[str, dict[int, Beside]]:
    """Sentiment and competitor mentions over the period per theme, for all feedback ("") and for each slice the
    snapshots keep ("segment=enterprise", "source_kind=reddit", ...), added up by the database slice kind by slice
    kind: what rankings_refresh stores beside each score."""
    now = now or timezone.now()
    units = _themed_units(now - timedelta(days=period_days), now, None)
    by_slice: dict[str, dict[int, Beside]] = defaultdict(dict)
    for name in ["", *sorted(SLICE_FILTERS)]:
        for (theme_id, value), beside in _beside(units, by=FILTERS.get(name)).items():
            # Feedback without an account is in no account slice; an account with no segment set in none either.
            if name and value in (None, ""):
                continue
            by_slice[f"{name}={value}" if name else ""][theme_id] = beside
    return by_slice


def _beside(units, *, by: str | None = None) -> dict[tuple, Beside]:
    """Beside figures of the units per theme and value of `by` (a unit lookup; the value is None without one)."""
    sentiments, competitors = sentiment_counts(units, by=by), competitor_counts(units, by=by)
    return {
        key: Beside(sentiments.get(key, SentimentCounts()), competitors.get(key, {}))
        for key in set(sentiments) | set(competitors)
    }


def _with_beside(rows: list[RankedTheme], *, period_days: int, now: datetime | None = None,
                 **filters) -> list[RankedTheme]:
    """Computed rows with their sentiment and competitor mentions, from the same feedback their scores read."""
    now = now or timezone.now()
    beside = _beside(_themed_units(now - timedelta(days=period_days), now, _lookups(filters)))
    names = competitor_names() if any(figures.competitors for figures in beside.values()) else {}
    return [
        replace(row, sentiment=figures.sentiment, competitors=competitor_mentions(figures.competitors, names))
        if (figures := beside.get((row.theme.pk, None))) else row
        for row in rows
    ]


@dataclass(frozen=True)
class Unsorted:
    """Feedback that fits no theme yet, weighed as a theme would be, so a PM sees what the themes miss."""

    score: ThemeScore
    items: int


def unsorted_weighed(*, period_days: int = 90, now: datetime | None = None, **filters) -> Unsorted | None:
    """The units of the period that fit no theme, scored together; None when there are none, or when a filter on
    themes is given (unsorted feedback has no status or product area). filters: see FILTERS."""
    if any(_values(filters.get(name)) for name in THEME_FILTERS):
        return None
    now = now or timezone.now()
    units = _period_units(now - timedelta(days=period_days), now, _lookups(filters)).filter(theme__isnull=True)
    columns = voice_columns(units, group=Value(0, output_field=IntegerField()))
    if not len(columns.groups):
        return None
    scores = groups_score(
        columns, _facts_of({0: columns}), policy=WeightPolicy.from_settings(), now=now.timestamp(), interval=False
    )
    return Unsorted(score=scores[0], items=units.values("item_id").distinct().count())


@dataclass(frozen=True)
class WeekOverWeek:
    """One theme's explained score now and as it stood a week ago, with the facts of every account in either."""

    now: ThemeScore | None  # None: no feedback in the period
    week_ago: ThemeScore | None
    accounts: dict[int, AccountFacts]


def theme_week_over_week(
    *, theme_id: int, period_days: int = 90, now: datetime | None = None, **filters
) -> WeekOverWeek:
    """What a theme's score is made of now and a week ago, account by account, from its own items only: the
    difference is why it moved. filters: as for themes_ranked."""
    now = now or timezone.now()
    windows = _windows(period_days=period_days, now=now, lookups=_lookups(filters), theme_ids=[theme_id], weeks=(0, 1))
    accounts = _facts_of(windows)
    policy = WeightPolicy.from_settings()
    scores = [
        groups_score(
            windows[weeks_ago], accounts, policy=policy, now=(now - timedelta(weeks=weeks_ago)).timestamp(),
            explain=True, interval=False,
        ).get(theme_id)
        for weeks_ago in (0, 1)
    ]
    return WeekOverWeek(now=scores[0], week_ago=scores[1], accounts=accounts)


# The score now, and as it stood this many weeks ago, for the changes.
CHANGE_WEEKS = (1, 4)


def _windows(
    *, period_days: int, now: datetime, lookups: dict | None = None, theme_ids: list[int] | None = None,
    by_kind: bool = False, weeks: tuple[int, ...] = (0, *CHANGE_WEEKS),
) -> dict[int, VoiceColumns]:
    """The voices of the period ending now and of the same period ending 1 and 4 weeks ago, by weeks ago."""
    windows = {}
    for weeks_ago in weeks:
        until = now - timedelta(weeks=weeks_ago)
        units = _themed_units(until - timedelta(days=period_days), until, lookups)
        if theme_ids is not None:
            units = units.filter(theme_id__in=theme_ids)
        windows[weeks_ago] = voice_columns(units, group=F("theme_id"), by_kind=by_kind)
    return windows


def _facts_of(windows: dict[int, VoiceColumns]) -> dict[int, AccountFacts]:
    known = np.unique(np.concatenate([columns.account_ids for columns in windows.values()]))
    return account_facts(known[known != NO_ACCOUNT].tolist())


def _scored_with_changes(
    windows: dict[int, VoiceColumns],
    accounts: dict[int, AccountFacts],
    *,
    policy: WeightPolicy,
    now: datetime,
    explain: bool = False,
) -> dict[int, tuple[ThemeScore, float, float]]:
    """Per theme with feedback in the period: its score, and its change on the period ending 1 and 4 weeks ago."""
    current = groups_score(windows[0], accounts, policy=policy, now=now.timestamp(), explain=explain)
    earlier = [
        groups_score(
            windows[weeks_ago], accounts, policy=policy, now=(now - timedelta(weeks=weeks_ago)).timestamp(),
            interval=False,
        )
        for weeks_ago in CHANGE_WEEKS
    ]
    return {
        theme_id: (score, *(score.score - _score_of(before, theme_id) for before in earlier))
        for theme_id, score in current.items()
    }


def _themes(theme_ids) -> dict[int, Theme]:
    return Theme.objects.select_related("product_area").defer("centroid").in_bulk(list(theme_ids))


def _ranked(scored: dict[int, tuple[ThemeScore, float, float]], themes: dict[int, Theme]) -> list[RankedTheme]:
    by_weight = ranks({theme_id: score.score for theme_id, (score, _, _) in scored.items()})
    by_mentions = ranks({theme_id: score.mentions for theme_id, (score, _, _) in scored.items()})
    ranked = [
        RankedTheme(
            theme=themes[theme_id], score=score, rank=by_weight[theme_id], rank_by_mentions=by_mentions[theme_id],
            change=change, change_4_weeks=change_4_weeks,
        )
        for theme_id, (score, change, change_4_weeks) in scored.items()
    ]
    return sorted(ranked, key=lambda row: row.rank)


def voices_by_theme(
    since: datetime, until: datetime, lookups: dict | None = None, *, theme_ids: list[int] | None = None
) -> dict[int, list[Voice]]:
    """Processed feedback in live themes over [since, until), added up by the database into voices per theme.
    lookups: on feedback units, e.g. {"item__account_id": 7}."""
    units = _themed_units(since, until, lookups)
    if theme_ids is not None:
        units = units.filter(theme_id__in=theme_ids)
    columns = voice_columns(units, group=F("theme_id"))
    voices: dict[int, list[Voice]] = defaultdict(list)
    for row in range(len(columns.groups)):
        account_id = int(columns.account_ids[row])
        voices[int(columns.groups[row])].append(
            Voice(
                account_id=None if account_id == NO_ACCOUNT else account_id, author=columns.authors[row],
                mentions=int(columns.mentions[row]), reliability=float(columns.reliability[row]),
                latest=datetime.fromtimestamp(columns.latest[row], UTC),
            )
        )
    return voices


# A theme's week as one group number: theme id × WEEK_GROUP + the Monday's days since 1970 (about 20,000 now).
WEEK_GROUP = 100_000


def weeks_scored(
    since: datetime, until: datetime, lookups: dict | None = None, *, theme_ids: list[int] | None = None,
    policy: WeightPolicy, interval: bool = True,
) -> dict[tuple[int, date], ThemeScore]:
    """Each theme's score per week (Monday to Sunday, UTC) over [since, until), {(theme id, Monday): score}, each
    week scored as it stood at its end, and the week not over yet as it stands at `until`. The one definition of a
    weekly score: the snapshots keep it, and a trend under filters computes it. lookups: as for voices_by_theme."""
    units = _themed_units(since, until, lookups)
    if theme_ids is not None:
        units = units.filter(theme_id__in=theme_ids)
    voices = voice_columns(units, group=_week_group())
    weeks_of = {group: week_of_group(group) for group in np.unique(voices.groups).tolist()}
    week_ends = {group: datetime.combine(week + timedelta(days=7), datetime.min.time(), tzinfo=UTC).timestamp()
                 for group, (_, week) in weeks_of.items()}
    now_of_voice = np.minimum(np.vectorize(week_ends.get, otypes=[float])(voices.groups), until.timestamp())
    accounts = account_facts(np.unique(voices.account_ids[voices.account_ids != NO_ACCOUNT]).tolist())
    scores = groups_score(voices, accounts, policy=policy, now=now_of_voice, interval=interval)
    return {weeks_of[group]: score for group, score in scores.items()}


def sentiment_by_week(
    since: datetime, until: datetime, lookups: dict | None = None, *, theme_ids: list[int] | None = None
) -> dict[tuple[int, date], SentimentCounts]:
    """Measured units per theme and week, as weeks_scored groups them: {(theme id, Monday): counts}."""
    units = _themed_units(since, until, lookups)
    if theme_ids is not None:
        units = units.filter(theme_id__in=theme_ids)
    counts = sentiment_counts(units, group=_week_group())
    return {week_of_group(group): figures for (group, _), figures in counts.items()}


def _week_group():
    monday = Cast(Epoch(TruncWeek("item__occurred_at", tzinfo=UTC)) / 86_400, IntegerField())
    return F("theme_id") * WEEK_GROUP + monday


def week_of_group(group: int) -> tuple[int, date]:
    """The theme id and the Monday of a week's group (see _week_group)."""
    theme_id, days = divmod(group, WEEK_GROUP)
    return theme_id, date(1970, 1, 1) + timedelta(days=days)


def voice_columns(units, *, group, by_kind: bool = False) -> VoiceColumns:
    """Feedback units added up by the database into voices, one row per group and voice (and kind of source), as
    columns. A voice's mentions are its distinct items: two units of one item in a group are one mention."""
    kind = {"kind": F("item__source__kind")} if by_kind else {}
    facts = {
        "mentions": Count("item_id", distinct=True),
        "reliability": Max("item__source__reliability_weight"),
        # Seconds, not datetimes: parsing a million datetimes costs more than the whole score.
        "latest": Epoch(Max("item__occurred_at")),
    }
    by_account = (
        units.filter(item__account__isnull=False)
        .annotate(group=group, voice_account=F("item__account_id"), **kind)
        .values("group", "voice_account", *kind)
        .annotate(**facts)
    )
    # An author without an account is a voice of its own, known by email, else handle, else the item itself.
    author = Coalesce(
        NullIf("item__author_email", Value("")),
        NullIf("item__author_handle", Value("")),
        Concat(Value("item "), Cast("item_id", CharField())),
        output_field=CharField(),
    )
    by_author = (
        units.filter(item__account__isnull=True)
        .annotate(group=group, author=author, **kind)
        .values("group", "author", *kind)
        .annotate(**facts)
    )
    accounts, authors = _raw_columns(by_account.order_by()), _raw_columns(by_author.order_by())

    def column(name: str, dtype) -> np.ndarray:
        return np.concatenate([np.array(accounts[name], dtype), np.array(authors[name], dtype)])

    return VoiceColumns(
        groups=column("group", np.int64),
        account_ids=np.concatenate([
            np.array(accounts["voice_account"], np.int64), np.full(len(authors["author"]), NO_ACCOUNT, np.int64)
        ]),
        authors=np.array([""] * len(accounts["voice_account"]) + list(authors["author"]), dtype=object),
        mentions=column("mentions", np.int64),
        reliability=column("reliability", np.float64),
        latest=column("latest", np.float64),
        kinds=np.array([*accounts["kind"], *authors["kind"]], dtype=object) if by_kind else None,
    )


def _raw_columns(queryset) -> dict[str, tuple]:
    """The columns of a values() queryset by name, read without Django's per-value converters.

    A year of feedback is a million voices; the converters alone took longer than scoring them.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]  # a values() query names every column
        rows = cursor.fetchall()
    return dict(zip(names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True))


class Epoch(Func):
    """A datetime as seconds since 1970, a float."""

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS DOUBLE PRECISION)"

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps datetimes as UTC text; julianday reads it, fractions of a second included.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def themed_feedback(since: datetime, until: datetime, **filters):
    """Processed feedback items with a unit in a live theme over [since, until) that the filters (see FILTERS) keep."""
    return FeedbackItem.objects.filter(pk__in=themed_units(since, until, **filters).values("item_id"))


def themed_units(since: datetime, until: datetime, **filters):
    """Units of processed feedback in live themes over [since, until) that the filters (see FILTERS) keep."""
    return _themed_units(since, until, _lookups(filters))


def _themed_units(since: datetime, until: datetime, lookups: dict | None):
    return _period_units(since, until, lookups).filter(theme__isnull=False, theme__retired_at__isnull=True)


def _period_units(since: datetime, until: datetime, lookups: dict | None):
    """Units of processed feedback said over [since, until), themed or not, that the lookups keep."""
    return FeedbackUnit.objects.filter(
        item__status=FeedbackItem.Status.PROCESSED,
        item__occurred_at__gte=since,
        item__occurred_at__lt=until,
        **(lookups or {}),
    )


@dataclass(frozen=True)
class ItemThemes:
    """One item and every theme its units joined, in the order it raised them (an item may raise several)."""

    item_id: int
    occurred_at: datetime
    account: str
    themes: list[tuple[int, str]]  # (theme id, name)


def items_with_themes(*, period_days: int = 90, now: datetime | None = None, **filters) -> Iterator[ItemThemes]:
    """The themed items of the period that the filters (see FILTERS) keep, each with all of its themes, read in
    one ordered pass so an export of a million items streams."""
    now = now or timezone.now()
    rows = (
        _themed_units(now - timedelta(days=period_days), now, _lookups(filters))
        .order_by("item_id", "position")
        .values_list("item_id", "item__occurred_at", "item__account__name", "theme_id", "theme__human_name",
                     "theme__name")
    )
    for item_id, units in groupby(rows.iterator(chunk_size=5000), key=lambda row: row[0]):
        units = list(units)
        themes = list(dict.fromkeys((row[3], row[4] or row[5]) for row in units))
        yield ItemThemes(item_id=item_id, occurred_at=units[0][1], account=units[0][2] or "", themes=themes)


def theme_item_ids(theme_ids: list[int], *, period_days: int = 90, now: datetime | None = None,
                   **filters) -> dict[int, list[int]]:
    """The ids of the items of the period behind each theme, ascending; an item with units in several themes is
    listed under each."""
    now = now or timezone.now()
    pairs = (
        _themed_units(now - timedelta(days=period_days), now, _lookups(filters))
        .filter(theme_id__in=theme_ids)
        .values_list("theme_id", "item_id")
        .distinct()
        .order_by("theme_id", "item_id")
    )
    by_theme: dict[int, list[int]] = {theme_id: [] for theme_id in theme_ids}
    for theme_id, item_id in pairs.iterator(chunk_size=5000):
        by_theme[theme_id].append(item_id)
    return by_theme


def _lookups(filters: dict) -> dict:
    """Unit lookups for the filters; a list of values matches any of them."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filter {', '.join(sorted(unknown))}; use {', '.join(FILTERS)}")
    lookups = {}
    for name, value in filters.items():
        values = _values(value)
        if len(values) == 1:
            lookups[FILTERS[name]] = values[0]
        elif values:
            lookups[f"{FILTERS[name]}__in"] = values
    return lookups


def _values(value) -> list:
    """A filter's value as a list: none for an empty value, and a list or tuple as it is (empty values dropped)."""
    values = value if isinstance(value, list | tuple | set) else [value]
    return sorted(value for value in values if value not in (None, ""))


def _score_of(scores: dict[int, ThemeScore], theme_id: int) -> float:
    return scores[theme_id].score if theme_id in scores else 0.0


def account_facts(account_ids) -> dict[int, AccountFacts]:
    ordered = sorted(account_id for account_id in account_ids if account_id is not None)
    # SQLite caps the variables in one query; PostgreSQL takes them all at once.
    step = (connections[Account.objects.db].features.max_query_params or 100_000) - 1
    accounts = {}
    for start in range(0, len(ordered), step):
        chunk = Account.objects.filter(pk__in=ordered[start : start + step])
        fields = ("pk", "name", "arr", "plan_tier", "segment", "region")
        for pk, name, arr, tier, segment, region in chunk.values_list(*fields):
            accounts[pk] = AccountFacts(name=name, arr=arr, tier=tier, segment=segment, region=region)
    return accounts


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the week holding this moment."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekSeries:
    """A theme's weekly figures as they stood at one moment, `as_of`: the last week is the one holding it, so it is
    only partly over and its figures are so far. Charts draw it apart; nothing scales it up to a whole week."""

    weeks: list[date]  # Mondays, oldest first, the current week last
    scores: list[float]  # 0 for a quiet week
    spikes: list[bool]
    sentiments: list[SentimentCounts]  # units measured each week; none for a quiet week
    as_of: datetime | None = None

    @property
    def partial_last(self) -> bool:
        """Whether the last week was not over yet at as_of."""
        return self.as_of is not None and self.as_of < _monday_at(self.weeks[-1] + timedelta(weeks=1))

    @property
    def days_so_far(self) -> int:
        """Days of the last week begun by as_of (1 on its Monday, 7 on its Sunday)."""
        if not self.partial_last:
            return 7
        return (self.as_of.astimezone(UTC).date() - self.weeks[-1]).days + 1


def theme_week_series(theme_ids, *, weeks: int, now: datetime | None = None, **filters) -> dict[int, WeekSeries]:
    """Each theme's weekly scores, spike flags and sentiment counts, aligned on the same `weeks` weeks, the current
    one last. filters: see FILTERS. Unfiltered, read from the snapshots. A filter on accounts or sources changes the
    weeks, so they are computed from the feedback it keeps, scored and judged for spikes as the snapshots are
    (weeks_scored, voc.ranking.spikes); a filter on themes selects whole themes and changes no week."""
    from voc.ranking.models import ThemeWeek

    now = now or timezone.now()
    last = week_start(now)
    mondays = [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    lookups = _lookups({name: value for name, value in filters.items() if name not in THEME_FILTERS})
    if lookups and theme_ids:
        return _week_series_computed(list(theme_ids), mondays=mondays, now=now, lookups=lookups)
    quiet = SentimentCounts()
    series = {
        theme_id: WeekSeries(mondays, [0.0] * weeks, [False] * weeks, [quiet] * weeks, as_of=now)
        for theme_id in theme_ids
    }
    rows = ThemeWeek.objects.filter(theme_id__in=list(series), week__gte=mondays[0], week__lte=last)
    for theme_id, week, score, spike, *sentiments in rows.values_list("theme_id", "week", "score", "spike",
                                                                     *SENTIMENTS):
        index = (week - mondays[0]).days // 7
        weekly = series[theme_id]
        weekly.scores[index], weekly.spikes[index] = score, spike
        if any(sentiments):
            weekly.sentiments[index] = SentimentCounts(*sentiments)
    return series


def _week_series_computed(
    theme_ids: list[int], *, mondays: list[date], now: datetime, lookups: dict
) -> dict[int, WeekSeries]:
    """The weeks of theme_week_series from the feedback the lookups keep: four queries for a page of themes (voices by
    account and by author, their accounts, sentiment), and no interval, which a sparkline does not draw."""
    # SPIKE_TRAILING weeks before the first shown, so that it is judged against its own history as the snapshots are.
    since = _monday_at(mondays[0] - timedelta(weeks=SPIKE_TRAILING))
    scored = weeks_scored(since, now, lookups, theme_ids=theme_ids, policy=WeightPolicy.from_settings(),
                          interval=False)
    sentiments = sentiment_by_week(_monday_at(mondays[0]), now, lookups, theme_ids=theme_ids)
    history: dict[int, dict[date, float]] = defaultdict(dict)
    for (theme_id, week), score in scored.items():
        history[theme_id][week] = score.score
    quiet = SentimentCounts()
    return {
        theme_id: WeekSeries(
            weeks=mondays,
            scores=[history[theme_id].get(week, 0.0) for week in mondays],
            spikes=[week in history[theme_id] and week_is_spike(history[theme_id], week) for week in mondays],
            sentiments=[sentiments.get((theme_id, week), quiet) for week in mondays],
            as_of=now,
        )
        for theme_id in theme_ids
    }


def _monday_at(monday: date) -> datetime:
    """Midnight UTC at the start of a week."""
    return datetime.combine(monday, datetime.min.time(), tzinfo=UTC)
