"""The ranking formula (voc/ranking/scoring.py) on any voices and any policy: scores are never negative, the
contributions add up to the score, and more mentions from a voice already counted never raise its weight, or the
score, by more than the repeat bonus."""

import math
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from voc.ranking.scoring import AccountFacts, Mention, Voice, WeightPolicy, theme_score, voices_score

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
ACCOUNT_IDS = list(range(1, 9))

weights = st.floats(min_value=0, max_value=5, allow_nan=False)
policies = st.builds(
    WeightPolicy,
    arr_unit=st.floats(min_value=1, max_value=1e7),
    value_floor=weights,
    repeat_bonus=st.floats(min_value=0, max_value=1),
    half_life_days=st.floats(min_value=0.5, max_value=3650),
    anonymous_value=weights,
    anonymous_cap=weights,
    tier_multipliers=st.dictionaries(st.sampled_from(["starter", "growth", "enterprise"]), weights, max_size=3),
    segment_multipliers=st.dictionaries(st.sampled_from(["smb", "mid_market", "enterprise"]), weights, max_size=3),
    min_accounts=st.integers(0, 5),
    bootstrap_samples=st.integers(1, 60),
)
accounts = st.dictionaries(
    st.sampled_from(ACCOUNT_IDS),
    st.builds(
        AccountFacts,
        name=st.text(max_size=10),
        arr=st.none() | st.decimals(min_value=-1000, max_value=10**10, places=2, allow_nan=False),
        tier=st.sampled_from(["", "starter", "growth", "enterprise", "unknown"]),
        segment=st.sampled_from(["", "smb", "mid_market", "enterprise"]),
    ),
)
# From ten years back to a year ahead (a future date counts as today).
moments = st.floats(min_value=-3650, max_value=365).map(lambda days: NOW + timedelta(days=days))
reliabilities = st.floats(min_value=0, max_value=1)
mentions = st.builds(
    Mention,
    account_id=st.none() | st.sampled_from([*ACCOUNT_IDS, 99]),  # 99: an account with no facts loaded
    author=st.sampled_from(["", "jane@x.example", "@pebble", "u/someone", "item-7"]),
    reliability=reliabilities,
    occurred_at=moments,
)
counts = st.integers(1, 10_000)
voices = st.one_of(
    st.builds(Voice, account_id=st.sampled_from(ACCOUNT_IDS), author=st.just(""), mentions=counts,
              reliability=reliabilities, latest=moments),
    st.builds(Voice, account_id=st.none(), author=st.text(min_size=1, max_size=8), mentions=counts,
              reliability=reliabilities, latest=moments),
)


def close(left: float, right: float) -> bool:
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)


@given(said=st.lists(mentions, max_size=30), facts=accounts, policy=policies)
def test_a_score_is_never_negative_and_is_the_sum_of_its_contributions(said, facts, policy):
    result = theme_score(said, facts, policy=policy, now=NOW)

    assert min(result.score, result.low, result.high) >= 0
    assert close(sum(contribution.weight for contribution in result.contributions), result.score)
    assert result.mentions == len(said) == sum(contribution.mentions for contribution in result.contributions)
    assert 0 <= result.loudness <= 1
    anonymous = [c for c in result.contributions if c.account_id is None]
    assert sum(c.weight for c in anonymous) <= policy.anonymous_cap + 1e-9
    for contribution in result.contributions:
        assert contribution.weight >= 0
        assert 1 <= contribution.repeat <= 1 + policy.repeat_bonus
        assert 0 <= contribution.freshness <= 1
        assert 0 <= contribution.reliability <= 1
        if contribution.account_id is not None:
            expected = contribution.value * contribution.reliability * contribution.freshness * contribution.repeat
            assert close(contribution.weight, expected)


@given(
    heard=st.lists(voices, min_size=1, max_size=12, unique_by=lambda voice: (voice.account_id, voice.author)),
    facts=accounts, policy=policies, data=st.data(),
)
def test_more_mentions_from_a_voice_never_raise_it_or_the_score_beyond_the_repeat_bonus(heard, facts, policy, data):
    loud = data.draw(st.integers(0, len(heard) - 1), label="loud voice")
    more = data.draw(st.integers(1, 1_000_000), label="more mentions")
    louder = list(heard)
    voice = heard[loud]
    # Same channels, no later than before: only volume changes.
    louder[loud] = Voice(voice.account_id, voice.author, voice.mentions + more, voice.reliability, voice.latest)

    before = voices_score(heard, facts, policy=policy, now=NOW, interval=False)
    after = voices_score(louder, facts, policy=policy, now=NOW, interval=False)

    bound = 1 + policy.repeat_bonus
    assert after.score <= before.score * bound + 1e-9
    if voice.account_id is not None:
        weight_before = _weight_of(before, voice.account_id)
        weight_after = _weight_of(after, voice.account_id)
        assert weight_before <= weight_after + 1e-12
        assert weight_after <= weight_before * bound + 1e-12


def _weight_of(result, account_id: int) -> float:
    return next(c.weight for c in result.contributions if c.account_id == account_id)


@given(said=st.lists(mentions, min_size=1, max_size=20), facts=accounts, policy=policies, times=st.integers(1, 50))
def test_a_loud_account_repeating_itself_never_gains_more_than_the_repeat_bonus(said, facts, policy, times):
    account = next((m for m in said if m.account_id is not None), None)
    assume(account is not None)
    latest = min(m.occurred_at for m in said if m.account_id == account.account_id)
    weakest = min(m.reliability for m in said if m.account_id == account.account_id)
    repeated = [Mention(account.account_id, "", weakest, latest)] * times

    before = theme_score(said, facts, policy=policy, now=NOW)
    after = theme_score(said + repeated, facts, policy=policy, now=NOW)

    assert after.score <= before.score * (1 + policy.repeat_bonus) + 1e-9
    assert after.accounts == before.accounts
    assert after.arr == before.arr
