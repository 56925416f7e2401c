"""A theme's score by customer weight: what the distinct voices that raised it are worth, never how often they spoke.

For one theme over a period, every voice is an account, or an author without a resolved account:

    score = Σ over voices  value × reliability × freshness × repeat

    value         an account: (floor + ln(1 + ARR / unit)) × tier multiplier × segment multiplier; zero or unknown
                  ARR is worth the floor. An author without an account: the anonymous value.
    reliability   the weight of the most reliable source the voice used (a ticket 1.0, a tweet less).
    freshness     0.5 ^ (age in days / half-life) of the voice's latest mention; a future date counts as today.
    repeat        1 + bonus × (1 − 1/n) for n mentions: 1 for one, never more than 1 + bonus however many.

Anonymous voices together saturate towards a cap. If their terms add up to S, together they count

    anonymous = cap × S / (cap + S),   that is   1 / anonymous = 1 / S + 1 / cap,

and each is scaled by the same factor, cap / (cap + S). The crowd is worth less than both its own sum and the cap,
about S while it is small and about the cap when it is large, so anonymous posts never outweigh more than a couple
of accounts; yet every further distinct voice raises it, by less than the one before. This form rather than
cap × (1 − e^(−S/cap)), which has the same start and bound, because what is left to the cap shrinks as 1/S, not
exponentially: it stays visible in floating point however large the crowd. The exponential rounds to the cap from
S ≈ 37 × cap, and with the default cap one more fresh tweet (0.25 × reliability 0.5) stops changing the score at
544 people. A hard clip (all scaled down alike above the cap, the rule until now) ties at once: 3,800 real tweets
whose authors match no account scored all 19 of their themes exactly 2.0, from 16 to 569 distinct people. Now a
lone anonymous voice keeps 0.22 of its 0.25, a crowd whose terms add up to the cap counts half of it, and 569
fresh tweets (S ≈ 71) count 1.95. With no accounts at all, themes therefore order by distinct voices, recency and
reliability.
The contributions add up to the score exactly, and more mentions from a voice already counted, over channels it
already used and no later than its latest, raise the score by at most the repeat bonus (10% by default). A more
reliable or more recent mention is new evidence and may lift a voice to its full value; volume never does.
The 90% interval comes from resampling the voices with replacement and scoring each resample the same way.
Every constant lives in settings (VOC_RANKING, read from VOC_RANK_* variables).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class WeightPolicy:
    arr_unit: float = 10_000.0
    value_floor: float = 1.0
    repeat_bonus: float = 0.10
    half_life_days: float = 90.0
    anonymous_value: float = 0.25
    anonymous_cap: float = 2.0
    tier_multipliers: Mapping[str, float] = field(default_factory=dict)
    segment_multipliers: Mapping[str, float] = field(default_factory=dict)
    min_accounts: int = 3
    bootstrap_samples: int = 500
    interval: float = 0.90

    @classmethod
    def from_settings(cls) -> "WeightPolicy":
        from django.conf import settings

        return cls(**settings.VOC_RANKING)

    def account_value(self, arr: Decimal | float | None, tier: str = "", segment: str = "") -> float:
        known = max(float(arr or 0), 0.0)
        base = self.value_floor + math.log1p(known / self.arr_unit)
        return base * self.tier_multipliers.get(tier, 1.0) * self.segment_multipliers.get(segment, 1.0)

    def repeat(self, mentions):
        """For a number of mentions, or an array of them."""
        return 1.0 + self.repeat_bonus * (1.0 - 1.0 / np.maximum(mentions, 1))

    def decay(self, age_days):
        """Freshness at an age in days, or an array of ages; a future date counts as today."""
        return 0.5 ** (np.maximum(age_days, 0.0) / self.half_life_days)

    def freshness(self, occurred_at: datetime, now: datetime) -> float:
        return float(self.decay((now - occurred_at).total_seconds() / 86_400))

    def anonymous_scale(self, total):
        """What each anonymous voice keeps when together they add up to total: cap / (cap + total), or an array."""
        denominator = self.anonymous_cap + np.asarray(total, dtype=np.float64)
        # A cap of 0 with nothing anonymous would be 0 / 0: nothing to scale, so 1.
        return np.divide(self.anonymous_cap, denominator, out=np.ones_like(denominator), where=denominator > 0)


@dataclass(frozen=True)
class Mention:
    account_id: int | None
    author: str  # who spoke when there is no account: an email, a handle or the item's own id
    reliability: float  # the source's weight, 0 to 1
    occurred_at: datetime


@dataclass(frozen=True)
class AccountFacts:
    name: str
    arr: Decimal | None = None
    tier: str = ""
    segment: str = ""
    region: str = ""


@dataclass(frozen=True)
class Contribution:
    account_id: int | None
    label: str
    mentions: int
    value: float
    reliability: float
    freshness: float
    repeat: float
    # value × reliability × freshness × repeat, times the anonymous scale for an author: the share of the score
    weight: float


@dataclass(frozen=True)
class ThemeScore:
    score: float
    low: float
    high: float
    contributions: tuple[Contribution, ...]  # biggest first
    accounts: int
    arr: Decimal
    mentions: int
    loudness: float  # share of the mentions that come from the single loudest account
    too_little_evidence: bool


@dataclass(frozen=True)
class Voice:
    """Everything the formula needs about one voice's mentions of one theme: the database adds them up."""

    account_id: int | None
    author: str  # who spoke when there is no account
    mentions: int
    reliability: float  # of the most reliable source the voice used
    latest: datetime


@dataclass(frozen=True)
class VoiceColumns:
    """Many voices as columns, one row per voice, so that thousands of themes are scored in a few array operations."""

    groups: np.ndarray  # int64: the theme (or theme and week) each voice belongs to
    account_ids: np.ndarray  # int64; NO_ACCOUNT for an author without an account
    authors: np.ndarray  # object: who spoke when there is no account; "" for an account
    mentions: np.ndarray  # int64
    reliability: np.ndarray  # float64
    latest: np.ndarray  # float64, seconds since 1970 (UTC) of the voice's latest mention
    # Set when the rows are split by the kind of source the mentions came over; collapsed() adds them up again.
    kinds: np.ndarray | None = None
    # One number per voice (the account id, or a negative code per author), set by keyed() before slicing.
    keys: np.ndarray | None = None

    def select(self, rows: np.ndarray) -> "VoiceColumns":
        """Only these rows (a boolean mask or indices)."""
        return VoiceColumns(
            **{name: None if column is None else column[rows] for name, column in self._columns().items()}
        )

    def keyed(self) -> "VoiceColumns":
        """The same rows with their voice keys worked out once, for the many slices taken of them."""
        _, author_codes = np.unique(self.authors, return_inverse=True)
        keys = np.where(self.account_ids != NO_ACCOUNT, self.account_ids, -2 - author_codes.reshape(-1))
        return replace(self, keys=keys)

    def collapsed(self) -> "VoiceColumns":
        """One row per group and voice: a voice's rows for several kinds of source added up."""
        if len(self.groups) == 0:
            return replace(self, kinds=None)
        keys = (self if self.keys is not None else self.keyed()).keys
        order = np.lexsort((keys, self.groups))
        groups, keys = self.groups[order], keys[order]
        starts = np.flatnonzero(np.r_[True, (groups[1:] != groups[:-1]) | (keys[1:] != keys[:-1])])
        firsts = order[starts]
        return VoiceColumns(
            groups=groups[starts], account_ids=self.account_ids[firsts], authors=self.authors[firsts],
            mentions=np.add.reduceat(self.mentions[order], starts),
            reliability=np.maximum.reduceat(self.reliability[order], starts),
            latest=np.maximum.reduceat(self.latest[order], starts),
            keys=keys[starts],
        )

    def _columns(self) -> dict[str, np.ndarray | None]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def of(cls, voices: list[Voice], group: int = 0) -> "VoiceColumns":
        return cls(
            groups=np.full(len(voices), group, dtype=np.int64),
            account_ids=np.array([NO_ACCOUNT if v.account_id is None else v.account_id for v in voices], np.int64),
            authors=np.array([v.author for v in voices], dtype=object),
            mentions=np.array([v.mentions for v in voices], dtype=np.int64),
            reliability=np.array([v.reliability for v in voices], dtype=np.float64),
            latest=np.array([v.latest.timestamp() for v in voices], dtype=np.float64),
        )


NO_ACCOUNT = -1
# A contribution's label when its voice has no account: the prefix, then who spoke (an email, a handle, an item).
UNRESOLVED_PREFIX = "Unresolved: "


def voices_of(mentions: Iterable[Mention]) -> list[Voice]:
    """Mentions folded into voices: one per account, one per author without an account."""
    said: dict[tuple, list[Mention]] = {}
    for mention in mentions:
        key = ("account", mention.account_id) if mention.account_id is not None else ("author", mention.author)
        said.setdefault(key, []).append(mention)
    return [
        Voice(
            account_id=who if kind == "account" else None, author=who if kind == "author" else "",
            mentions=len(group), reliability=max(m.reliability for m in group),
            latest=max(m.occurred_at for m in group),
        )
        for (kind, who), group in said.items()
    ]


def theme_score(
    mentions: Iterable[Mention],
    accounts: Mapping[int, AccountFacts],
    *,
    policy: WeightPolicy,
    now: datetime,
    seed: int = 0,
) -> ThemeScore:
    return voices_score(voices_of(mentions), accounts, policy=policy, now=now, seed=seed)


def voices_score(
    voices: list[Voice],
    accounts: Mapping[int, AccountFacts],
    *,
    policy: WeightPolicy,
    now: datetime,
    seed: int = 0,
    interval: bool = True,
) -> ThemeScore:
    """One theme's score with its explanation; interval=False skips the bootstrap (low = high = score)."""
    scores = groups_score(
        VoiceColumns.of(voices, group=seed), accounts, policy=policy, now=now.timestamp(), interval=interval,
        explain=True,
    )
    if seed not in scores:  # no voices at all
        return ThemeScore(0.0, 0.0, 0.0, (), 0, Decimal(0), 0, 0.0, too_little_evidence=policy.min_accounts > 0)
    return scores[seed]


def groups_score(
    voices: VoiceColumns,
    accounts: Mapping[int, AccountFacts],
    *,
    policy: WeightPolicy,
    now: float | np.ndarray,
    interval: bool = True,
    explain: bool = False,
) -> dict[int, ThemeScore]:
    """Every group's score (a group: a theme, or a theme's week). The one implementation of the formula.

    now: seconds since 1970, for all voices or one per voice. The bootstrap of a group is seeded with its id, so a
    score's interval is the same whichever way it is computed. explain=False leaves out the contributions.
    """
    has_account = voices.account_ids != NO_ACCOUNT
    known = np.unique(voices.account_ids[has_account])
    facts = [accounts.get(int(account_id)) or AccountFacts(name=f"Account {account_id}") for account_id in known]
    facts_of = np.full(len(voices.groups), -1)  # each voice's row in facts; -1 for an author without an account
    facts_of[has_account] = np.searchsorted(known, voices.account_ids[has_account])
    value = np.full(len(voices.groups), policy.anonymous_value)
    value[has_account] = np.array([policy.account_value(f.arr, f.tier, f.segment) for f in facts])[
        facts_of[has_account]
    ]
    reliability = np.maximum(voices.reliability, 0.0)
    freshness = policy.decay((now - voices.latest) / 86_400)
    repeat = policy.repeat(voices.mentions)
    unscaled = value * reliability * freshness * repeat

    groups, index = np.unique(voices.groups, return_inverse=True)
    count = len(groups)
    # A group's anonymous voices saturate together (the module's opening says why), each scaled by the same factor.
    anonymous = np.bincount(index[~has_account], unscaled[~has_account], minlength=count)
    weight = np.where(has_account, unscaled, unscaled * policy.anonymous_scale(anonymous)[index])

    score = np.bincount(index, weight, minlength=count)
    mentions = np.bincount(index, voices.mentions, minlength=count).astype(np.int64)
    account_count = np.bincount(index[has_account], minlength=count)
    loudest = np.zeros(count, dtype=np.int64)
    np.maximum.at(loudest, index[has_account], voices.mentions[has_account])
    account_arr = np.array([float(f.arr or 0) for f in facts])[facts_of[has_account]]
    arr = np.bincount(index[has_account], account_arr, minlength=count)

    # Each group's voices together, biggest weight first: the order of the explanation and of the resampling.
    order = np.lexsort((-weight, index))
    bounds = np.searchsorted(index[order], np.arange(count + 1))
    results = {}
    for position, group in enumerate(groups.tolist()):
        members = order[bounds[position] : bounds[position + 1]]
        total = float(score[position])
        low, high = (
            _bootstrap_interval(unscaled[members], ~has_account[members], policy, group) if interval else (total, total)
        )
        contributions = ()
        if explain:
            contributions = tuple(sorted(
                (
                    Contribution(
                        account_id=int(voices.account_ids[m]) if has_account[m] else None,
                        label=facts[facts_of[m]].name if has_account[m] else f"{UNRESOLVED_PREFIX}{voices.authors[m]}",
                        mentions=int(voices.mentions[m]), value=float(value[m]), reliability=float(reliability[m]),
                        freshness=float(freshness[m]), repeat=float(repeat[m]), weight=float(weight[m]),
                    )
                    for m in members.tolist()
                ),
                key=lambda c: (-c.weight, c.label),
            ))
        results[group] = ThemeScore(
            score=total,
            low=low,
            high=high,
            contributions=contributions,
            accounts=int(account_count[position]),
            arr=Decimal(f"{arr[position]:.2f}"),
            mentions=int(mentions[position]),
            loudness=float(loudest[position] / mentions[position]) if mentions[position] else 0.0,
            too_little_evidence=bool(account_count[position] < policy.min_accounts),
        )
    return results


def _bootstrap_interval(
    unscaled: np.ndarray, anonymous: np.ndarray, policy: WeightPolicy, seed: int
) -> tuple[float, float]:
    """Percentile interval of the score when the voices themselves are resampled with replacement.

    unscaled: each voice's weight before the anonymous scale; anonymous: which voices have no account. A resample is
    scored as a theme is, its anonymous voices saturating together, so the interval and the score agree on the cap.
    """
    if len(unscaled) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    totals = np.empty(policy.bootstrap_samples)
    account_weights = np.where(anonymous, 0.0, unscaled)
    anonymous_weights = np.where(anonymous, unscaled, 0.0)
    # In slices, so a theme with many voices never builds one samples × voices matrix.
    step = max(1, 2_000_000 // len(unscaled))
    for start in range(0, policy.bootstrap_samples, step):
        count = min(step, policy.bootstrap_samples - start)
        picks = rng.integers(0, len(unscaled), size=(count, len(unscaled)))
        crowd = anonymous_weights[picks].sum(axis=1)
        totals[start : start + count] = account_weights[picks].sum(axis=1) + crowd * policy.anonymous_scale(crowd)
    tail = (1 - policy.interval) / 2 * 100
    low, high = np.percentile(totals, [tail, 100 - tail])
    return float(low), float(high)


def ranks(values: Mapping[int, float]) -> dict[int, int]:
    """1 for the largest value; ties keep the key order (smaller key first)."""
    ordered = sorted(values, key=lambda key: (-values[key], key))
    return {key: position for position, key in enumerate(ordered, start=1)}
