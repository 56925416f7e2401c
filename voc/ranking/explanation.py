"""A theme's score told in words a PM can read aloud: one sentence, one row per account, the rest folded.

The score (voc.ranking.scoring) is a sum of contributions, one per voice. Shown as they are, they are rows of bare
decimals (value, reliability, freshness, repeat) that say nothing about who the customers are. So the explanation:

1. Opens with one sentence: the rank, how many accounts worth how much ARR raised the theme, how many of them
   Enterprise (or of the largest segment), and the rank a mention count would give. That comparison is why voc
   exists: the loud small account against the many large ones.
2. Lists accounts biggest share first, each with its segment, tier, ARR, mentions, first and last mention, and its
   share of the score. Past `shown` accounts the rest fold into one line that keeps their total.
3. Folds the people we could not tie to an account into one line of their own, however many: together they count
   at most the anonymous cap, a couple of accounts, yet one row each buried the accounts (29 of 64 rows of the
   demo's top theme were "Unresolved: @handle … 0%").
4. Describes the settings in force in words first, the formula and the VOC_RANK_* variable second.

The facts take two queries whatever the number of accounts: the accounts' rows, and their first and last mention of
the theme in the period, grouped by account by the database.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import Max, Min

from voc.accounts.models import Account
from voc.core.money import money
from voc.ranking.scoring import UNRESOLVED_PREFIX, Contribution, WeightPolicy
from voc.ranking.selectors import RankedTheme, themed_units


def _percent(share: float) -> str:
    """A share of the score as people say it: "12%", "<1%" for a sliver, never "0%" for a voice that counted."""
    if share <= 0:
        return "0%"
    return "<1%" if share < 0.005 else f"{share:.0%}"


class _ShareOfScore:
    """A part of the score, written as a percentage and drawn as a bar (its `share` is 0 to 1)."""

    share: float

    @property
    def share_label(self) -> str:
        return _percent(self.share)

    @property
    def bar_width(self) -> str:
        """The share bar's width as CSS reads it whatever the locale: "12.3%"."""
        return f"{self.share * 100:.1f}%"


@dataclass(frozen=True)
class AccountVoice(_ShareOfScore):
    """One account's part in the score, with what a PM knows it by."""

    contribution: Contribution
    segment: str  # the label ("Enterprise"); "" when not set
    tier: str
    arr: Decimal | None
    currency: str
    first_mention: datetime | None
    last_mention: datetime | None
    share: float  # of the score, 0 to 1

    @property
    def repeat_label(self) -> str:
        bonus = self.contribution.repeat - 1
        return f"+{bonus:.0%}" if bonus >= 0.005 else "none"


@dataclass(frozen=True)
class Person(_ShareOfScore):
    """Someone we could not tie to an account: known by email, handle or the item's id."""

    who: str
    mentions: int
    share: float


@dataclass(frozen=True)
class Folded(_ShareOfScore):
    """Voices shown as one line: how many, their mentions and their part of the score."""

    count: int = 0
    mentions: int = 0
    weight: float = 0.0
    share: float = 0.0
    people: tuple[Person, ...] = ()  # the unresolved people listed when the line expands (at most `shown`)

    @property
    def unlisted(self) -> int:
        return self.count - len(self.people)


@dataclass(frozen=True)
class Explanation:
    sentence: str
    accounts: tuple[AccountVoice, ...]  # biggest share first, at most `shown`
    more_accounts: Folded  # the accounts past `shown`
    unresolved: Folded  # the people we could not tie to an account
    loudest: AccountVoice | None  # the account that wrote most; None without accounts


def theme_explanation(
    *, row: RankedTheme | None, period_days: int, now: datetime, shown: int | None = 100,
    policy: WeightPolicy | None = None,
) -> Explanation:
    """The explanation of a row from theme_explained (None: no feedback in the period) over the same period and now;
    shown: how many accounts to list (None: all)."""
    policy = policy or WeightPolicy.from_settings()
    if row is None:
        return Explanation(
            sentence=score_sentence(row=None, segments={}, period_days=period_days, min_accounts=policy.min_accounts),
            accounts=(), more_accounts=Folded(), unresolved=Folded(), loudest=None,
        )
    total = row.score.score
    voiced = [c for c in row.score.contributions if c.account_id is not None]
    people = [c for c in row.score.contributions if c.account_id is None]
    facts = _account_rows([c.account_id for c in voiced])
    since = now - timedelta(days=period_days)
    mentioned = _first_and_last_mentions(theme_id=row.theme.pk, since=since, until=now)

    def account_voice(contribution: Contribution) -> AccountVoice:
        segment, tier, arr, currency = facts.get(contribution.account_id, ("", "", None, "USD"))
        first, last = mentioned.get(contribution.account_id, (None, None))
        return AccountVoice(
            contribution=contribution, segment=segment, tier=tier, arr=arr, currency=currency,
            first_mention=first, last_mention=last, share=_share(contribution.weight, total),
        )

    listed = voiced if shown is None else voiced[:shown]
    loudest = max(voiced, key=lambda c: (c.mentions, c.weight), default=None)
    return Explanation(
        sentence=score_sentence(
            row=row, segments=Counter(facts[c.account_id][0] for c in voiced if c.account_id in facts),
            period_days=period_days, min_accounts=policy.min_accounts,
        ),
        accounts=tuple(account_voice(c) for c in listed),
        more_accounts=_folded(voiced[len(listed):], total),
        unresolved=_folded(
            people, total,
            people=tuple(
                Person(who=c.label.removeprefix(UNRESOLVED_PREFIX), mentions=c.mentions, share=_share(c.weight, total))
                for c in (people if shown is None else people[:shown])
            ),
        ),
        loudest=account_voice(loudest) if loudest else None,
    )


def score_sentence(
    *, row: RankedTheme | None, segments: Mapping[str, int], period_days: int, min_accounts: int
) -> str:
    """Why the theme ranks where it does, in one sentence a PM can read aloud.

    segments: how many of the row's accounts are in each segment, by label ("" for none set). The people we could not
    tie to an account are counted from the row's contributions.
    """
    if row is None:
        return f"Not ranked: nobody raised this theme in the last {period_days} days."
    score = row.score
    people = sum(1 for contribution in score.contributions if contribution.account_id is None)
    who = _who(accounts=score.accounts, arr=score.arr, segments=segments, people=people)
    if row.rank is None:
        sentence = f"Not ranked yet: {who} in the last {period_days} days; the ranking counts it at its next refresh."
    else:
        sentence = f"Ranked #{row.rank} because {who}"
        if row.rank_by_mentions == row.rank:
            sentence += "; it would hold the same rank by mentions alone."
        elif row.rank_by_mentions is not None:
            sentence += f"; by mentions alone it would be #{row.rank_by_mentions}."
        else:
            sentence += "."
    if score.too_little_evidence:
        fewer = "no account" if score.accounts == 0 else f"only {_count(score.accounts, 'account')}"
        sentence += (
            f" Too little evidence to trust the rank yet: {fewer} raised it, fewer than the {min_accounts} it takes."
        )
    return sentence


def _who(*, accounts: int, arr: Decimal, segments: Mapping[str, int], people: int) -> str:
    """ "26 accounts worth $5.0M ARR raised it, 9 of them Enterprise", with the people we could not tie to one."""
    unresolved = f"{_count(people, 'person', 'people')} we could not tie to an account"
    if not accounts:
        return f"{unresolved} raised it, and no account did"
    worth = f" worth {money(arr, short=True)} ARR" if arr else ""
    segment, in_segment = _named_segment(segments)
    if accounts == 1 and in_segment:
        subject, of_them = f"1 {segment} account{worth}", ""
    else:
        subject = f"{_count(accounts, 'account')}{worth}"
        of_them = ""
        if in_segment:
            of_them = f"all of them {segment}" if in_segment == accounts else f"{in_segment} of them {segment}"
    if people:
        aside = f" ({of_them})" if of_them else ""
        return f"{subject}{aside} and {unresolved} raised it"
    return f"{subject} raised it, {of_them}" if of_them else f"{subject} raised it"


def _named_segment(segments: Mapping[str, int]) -> tuple[str, int]:
    """Enterprise when any account is; otherwise the segment most accounts are in (None set: nothing to name)."""
    known = {label: count for label, count in segments.items() if label and count}
    if not known:
        return "", 0
    enterprise = Account.Segment.ENTERPRISE.label
    if enterprise in known:
        return enterprise, known[enterprise]
    order = [label for _, label in Account.Segment.choices]
    label = max(known, key=lambda name: (known[name], -order.index(name) if name in order else -len(order)))
    return label, known[label]


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def _share(weight: float, total: float) -> float:
    return weight / total if total > 0 else 0.0


def _folded(voices: list[Contribution], total: float, people: tuple[Person, ...] = ()) -> Folded:
    weight = sum(voice.weight for voice in voices)
    return Folded(
        count=len(voices), mentions=sum(voice.mentions for voice in voices), weight=weight,
        share=_share(weight, total), people=people,
    )


def _account_rows(account_ids: list[int]) -> dict[int, tuple[str, str, Decimal | None, str]]:
    """{account id: (segment label, tier label, ARR, currency)}, one query (in chunks where SQLite must)."""
    segments, tiers = dict(Account.Segment.choices), dict(Account.Tier.choices)
    step = (connections[Account.objects.db].features.max_query_params or 100_000) - 1
    rows = {}
    for start in range(0, len(account_ids), step):
        chunk = Account.objects.filter(pk__in=account_ids[start : start + step])
        for pk, segment, tier, arr, currency in chunk.values_list("pk", "segment", "plan_tier", "arr", "arr_currency"):
            rows[pk] = (segments.get(segment, segment), tiers.get(tier, tier), arr, currency or "USD")
    return rows


def _first_and_last_mentions(
    *, theme_id: int, since: datetime, until: datetime
) -> dict[int, tuple[datetime, datetime]]:
    """{account id: (first, last)} mention of the theme over [since, until), grouped by the database."""
    rows = (
        themed_units(since, until)
        .filter(theme_id=theme_id, item__account__isnull=False)
        .values("item__account_id")
        .annotate(first=Min("item__occurred_at"), last=Max("item__occurred_at"))
        .order_by()
        .values_list("item__account_id", "first", "last")
    )
    return {account_id: (first, last) for account_id, first, last in rows}


@dataclass(frozen=True)
class Term:
    """One part of the formula: what it means in words first, the formula and its settings second."""

    name: str
    words: str
    formula: str
    settings: tuple[str, ...]


def policy_terms(policy: WeightPolicy) -> dict[str, Term]:
    """The settings in force, term by term, as the explanation's headers and the settings panel say them."""
    def worth(arr: float) -> str:
        return f"{policy.account_value(arr):.1f}"

    multipliers = [
        f"{dict(choices).get(name, name)} {kind} ×{weight:g}"
        for kind, weights, choices in (
            ("tier", policy.tier_multipliers, Account.Tier.choices),
            ("segment", policy.segment_multipliers, Account.Segment.choices),
        )
        for name, weight in weights.items()
    ]
    anonymous_share = policy.anonymous_value / policy.value_floor if policy.value_floor else 0
    return {
        "value": Term(
            "Account value",
            f"Revenue counts with diminishing returns: {money(10_000)} ARR is worth {worth(10_000)}, "
            f"{money(100_000)} {worth(100_000)} and {money(1_000_000)} {worth(1_000_000)}; "
            f"an account with no ARR known is worth {worth(0)}.",
            f"{policy.value_floor:g} + ln(1 + ARR / {policy.arr_unit:,.0f})",
            ("VOC_RANK_VALUE_FLOOR", "VOC_RANK_ARR_UNIT"),
        ),
        "multipliers": Term(
            "Tier and segment",
            ("Accounts count more or less by plan: " + ", ".join(multipliers) + "; the rest ×1."
             if multipliers else "Every tier and segment counts the same."),
            "account value × tier multiplier × segment multiplier",
            ("VOC_RANK_TIER_MULTIPLIERS", "VOC_RANK_SEGMENT_MULTIPLIERS"),
        ),
        "reliability": Term(
            "Source reliability",
            "A ticket counts fully, a tweet less: each voice counts at the most reliable source it used, "
            "a weight from 0 to 1 set on each source.",
            "the highest reliability weight among the voice's sources",
            (),
        ),
        "freshness": Term(
            "Recency",
            f"Recent feedback counts more: a voice's weight halves every {policy.half_life_days:g} days "
            "after its latest mention.",
            f"0.5 ^ (days since the latest mention / {policy.half_life_days:g})",
            ("VOC_RANK_HALF_LIFE_DAYS",),
        ),
        "repeat": Term(
            "Repeat bonus",
            f"Saying it again adds a little, never much: a second mention adds {policy.repeat_bonus / 2:.0%}, "
            f"and however many more, {policy.repeat_bonus:.0%} at most.",
            f"1 + {policy.repeat_bonus:g} × (1 − 1 / mentions)",
            ("VOC_RANK_REPEAT_BONUS",),
        ),
        "unresolved": Term(
            "People we could not tie to an account",
            f"Each counts as {anonymous_share:.0%} of an account with no ARR; together they never reach "
            f"{policy.anonymous_cap:g}, so a crowd of anonymous posts cannot outweigh a couple of accounts.",
            f"each {policy.anonymous_value:g}; together cap × S / (cap + S) with cap {policy.anonymous_cap:g}",
            ("VOC_RANK_ANONYMOUS_VALUE", "VOC_RANK_ANONYMOUS_CAP"),
        ),
        "evidence": Term(
            "Too little evidence",
            f"A theme raised by fewer than {_count(policy.min_accounts, 'account')} is flagged: its rank may not hold.",
            f"accounts < {policy.min_accounts}",
            ("VOC_RANK_MIN_ACCOUNTS",),
        ),
        "interval": Term(
            "Interval",
            f"The {policy.interval:.0%} interval is where the score would likely land had a different sample of "
            f"these customers spoken ({policy.bootstrap_samples:,} resamples of the voices).",
            f"{policy.interval:.0%} percentile bootstrap over voices",
            ("VOC_RANK_INTERVAL", "VOC_RANK_BOOTSTRAP_SAMPLES"),
        ),
    }
