"""A theme's score by customer weight: what the distinct voices that raised it are worth, never how often they spoke.

For one theme over a period, every voice is an account, or an author without a resolved account:

    score = Σ over voices  value × reliability × freshness × repeat

    value         an account: (floor + ln(1 + ARR / unit)) × tier multiplier × segment multiplier; zero or unknown
                  ARR is worth the floor. An author without an account: the anonymous value.
    reliability   the weight of the most reliable source the voice used (a ticket 1.0, a tweet less).
    freshness     0.5 ^ (age in days / half-life) of the voice's latest mention; a future date counts as today.
    repeat        1 + bonus × (1 − 1/n) for n mentions: 1 for one, never more than 1 + bonus however many.

Anonymous voices together are capped: above the cap each is scaled down by the same factor. The contributions
therefore add up to the score exactly, and more mentions from a voice already counted, over channels it already
used and no later than its latest, raise the score by at most the repeat bonus (10% by default). A more reliable
or more recent mention is new evidence and may lift a voice to its full value; volume never does.
The 90% interval comes from resampling the voices with replacement.
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

    def repeat(self, mentions: int) -> float:
        return 1.0 + self.repeat_bonus * (1.0 - 1.0 / max(mentions, 1))

    def freshness(self, occurred_at: datetime, now: datetime) -> float:
        age_days = max((now - occurred_at).total_seconds() / 86_400, 0.0)
        return 0.5 ** (age_days / self.half_life_days)


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


@dataclass(frozen=True)
class Contribution:
    account_id: int | None
    label: str
    mentions: int
    value: float
    reliability: float
    freshness: float
    repeat: float
    weight: float  # value × reliability × freshness × repeat, after the anonymous cap: the share of the score


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


def theme_score(
    mentions: Iterable[Mention],
    accounts: Mapping[int, AccountFacts],
    *,
    policy: WeightPolicy,
    now: datetime,
    seed: int = 0,
) -> ThemeScore:
    voices: dict[tuple, list[Mention]] = {}
    for mention in mentions:
        key = ("account", mention.account_id) if mention.account_id is not None else ("author", mention.author)
        voices.setdefault(key, []).append(mention)

    contributions = []
    for (kind, who), said in voices.items():
        if kind == "account":
            facts = accounts.get(who) or AccountFacts(name=f"Account {who}")
            value, label = policy.account_value(facts.arr, facts.tier, facts.segment), facts.name
        else:
            value, label = policy.anonymous_value, f"Unresolved: {who}"
        reliability = max(max(m.reliability, 0.0) for m in said)
        freshness = policy.freshness(max(m.occurred_at for m in said), now)
        repeat = policy.repeat(len(said))
        contributions.append(
            Contribution(
                account_id=who if kind == "account" else None, label=label, mentions=len(said), value=value,
                reliability=reliability, freshness=freshness, repeat=repeat,
                weight=value * reliability * freshness * repeat,
            )
        )
    contributions = _cap_anonymous(contributions, policy.anonymous_cap)
    contributions.sort(key=lambda c: (-c.weight, c.label))

    weights = np.array([c.weight for c in contributions])
    low, high = _bootstrap_interval(weights, policy, seed)
    account_mentions = [c.mentions for c in contributions if c.account_id is not None]
    total_mentions = sum(c.mentions for c in contributions)
    account_ids = [c.account_id for c in contributions if c.account_id is not None]
    return ThemeScore(
        score=float(weights.sum()),
        low=low,
        high=high,
        contributions=tuple(contributions),
        accounts=len(account_ids),
        arr=sum((accounts[a].arr or Decimal(0) for a in account_ids if a in accounts), Decimal(0)),
        mentions=total_mentions,
        loudness=max(account_mentions, default=0) / total_mentions if total_mentions else 0.0,
        too_little_evidence=len(account_ids) < policy.min_accounts,
    )


def _cap_anonymous(contributions: list[Contribution], cap: float) -> list[Contribution]:
    anonymous = sum(c.weight for c in contributions if c.account_id is None)
    if anonymous <= cap:
        return contributions
    scale = cap / anonymous
    return [c if c.account_id is not None else replace(c, weight=c.weight * scale) for c in contributions]


def _bootstrap_interval(weights: np.ndarray, policy: WeightPolicy, seed: int) -> tuple[float, float]:
    """Percentile interval of the score when the voices themselves are resampled with replacement."""
    if len(weights) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    totals = np.empty(policy.bootstrap_samples)
    # In slices, so a theme with many voices never builds one samples × voices matrix.
    step = max(1, 2_000_000 // len(weights))
    for start in range(0, policy.bootstrap_samples, step):
        count = min(step, policy.bootstrap_samples - start)
        totals[start : start + count] = weights[rng.integers(0, len(weights), size=(count, len(weights)))].sum(axis=1)
    tail = (1 - policy.interval) / 2 * 100
    low, high = np.percentile(totals, [tail, 100 - tail])
    return float(low), float(high)


def ranks(values: Mapping[int, float]) -> dict[int, int]:
    """1 for the largest value; ties keep the key order (smaller key first)."""
    ordered = sorted(values, key=lambda key: (-values[key], key))
    return {key: position for position, key in enumerate(ordered, start=1)}
