import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from voc.ranking.scoring import AccountFacts, Mention, WeightPolicy, ranks, theme_score

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
POLICY = WeightPolicy()


def said(account_id=None, *, author="", reliability=1.0, days_ago=0.0, times=1):
    return [Mention(account_id, author, reliability, NOW - timedelta(days=days_ago)) for _ in range(times)]


def score(mentions, accounts=None, policy=POLICY):
    return theme_score(mentions, accounts or {}, policy=policy, now=NOW)


def test_an_account_with_no_known_arr_is_worth_the_floor():
    result = score(said(1), {1: AccountFacts("Acme", arr=None)})
    assert result.score == pytest.approx(POLICY.value_floor)
    assert result.arr == 0


def test_zero_arr_and_unknown_arr_are_worth_the_same():
    zero = score(said(1), {1: AccountFacts("Free", arr=Decimal(0))})
    unknown = score(said(1), {1: AccountFacts("Unknown", arr=None)})
    assert zero.score == unknown.score


def test_value_grows_with_arr_with_diminishing_returns():
    small, large, huge = (POLICY.account_value(Decimal(arr)) for arr in (10_000, 100_000, 1_000_000))
    assert small < large < huge
    # Ten times the revenue adds at most ln(10) to the value, never ten times the value.
    assert large - small <= math.log(10)
    assert huge - large <= math.log(10)
    assert huge / large < 2


def test_forty_mentions_from_one_account_are_worth_a_little_more_than_one():
    once = score(said(1), {1: AccountFacts("Loud")})
    forty = score(said(1, times=40), {1: AccountFacts("Loud")})
    assert once.score < forty.score <= once.score * (1 + POLICY.repeat_bonus)


def test_eight_quiet_accounts_outweigh_one_loud_account():
    accounts = {n: AccountFacts(f"Account {n}", arr=Decimal(50_000)) for n in range(9)}
    loud = score(said(0, times=40), accounts)
    quiet = score([m for n in range(1, 9) for m in said(n)], accounts)
    assert quiet.score > 7 * loud.score
    assert loud.mentions > quiet.mentions


def test_contributions_add_up_to_the_score_biggest_first():
    accounts = {1: AccountFacts("Big", arr=Decimal(2_000_000)), 2: AccountFacts("Small", arr=Decimal(5_000))}
    mentions = said(1, days_ago=30) + said(2, times=3) + said(author="x@gmail.com", reliability=0.5)
    result = score(mentions, accounts)
    assert sum(c.weight for c in result.contributions) == pytest.approx(result.score)
    assert [c.label for c in result.contributions] == ["Big", "Small", "Unresolved: x@gmail.com"]
    assert result.accounts == 2
    assert result.arr == Decimal(2_005_000)
    assert result.mentions == 5


def test_unresolved_authors_count_as_small_voices_and_are_capped_together():
    one = score(said(author="a@gmail.com"))
    assert one.score == pytest.approx(POLICY.anonymous_value)
    crowd = score([m for n in range(500) for m in said(author=f"user{n}@gmail.com")])
    assert crowd.score == pytest.approx(POLICY.anonymous_cap)
    assert sum(c.weight for c in crowd.contributions) == pytest.approx(crowd.score)
    assert crowd.accounts == 0
    assert crowd.too_little_evidence


def test_a_less_reliable_source_counts_less():
    ticket = score(said(1, reliability=1.0), {1: AccountFacts("A")})
    tweet = score(said(1, reliability=0.4), {1: AccountFacts("A")})
    assert tweet.score == pytest.approx(0.4 * ticket.score)


def test_a_mention_one_half_life_old_counts_half():
    fresh = score(said(1), {1: AccountFacts("A")})
    old = score(said(1, days_ago=POLICY.half_life_days), {1: AccountFacts("A")})
    assert old.score == pytest.approx(fresh.score / 2)


def test_a_mention_dated_in_the_future_counts_as_today():
    future = score(said(1, days_ago=-30), {1: AccountFacts("A")})
    today = score(said(1), {1: AccountFacts("A")})
    assert future.score == pytest.approx(today.score)


def test_a_single_account_has_a_point_interval_and_is_flagged():
    result = score(said(1, times=3), {1: AccountFacts("Only", arr=Decimal(100_000))})
    assert result.low == pytest.approx(result.score) == pytest.approx(result.high)
    assert result.loudness == 1.0
    assert result.too_little_evidence


def test_the_interval_contains_the_score_and_narrows_with_more_accounts():
    accounts = {n: AccountFacts(f"A{n}", arr=Decimal(1_000 * (n + 1) ** 2)) for n in range(200)}
    few = score([m for n in range(5) for m in said(n)], accounts)
    many = score([m for n in range(200) for m in said(n)], accounts)
    assert few.low <= few.score <= few.high
    assert many.low <= many.score <= many.high
    assert (many.high - many.low) / many.score < (few.high - few.low) / few.score
    assert not many.too_little_evidence


def test_loudness_is_the_loudest_accounts_share_of_mentions():
    accounts = {1: AccountFacts("A"), 2: AccountFacts("B")}
    result = score(said(1, times=6) + said(2, times=2) + said(author="anon"), accounts)
    assert result.loudness == pytest.approx(6 / 9)


def test_no_mentions_score_zero():
    result = score([])
    assert (result.score, result.low, result.high, result.mentions, result.loudness) == (0, 0, 0, 0, 0)


def test_tier_and_segment_multipliers_apply_when_configured():
    policy = WeightPolicy(tier_multipliers={"enterprise": 1.5}, segment_multipliers={"smb": 0.5})
    assert policy.account_value(None, "enterprise", "smb") == pytest.approx(0.75 * policy.value_floor)
    assert policy.account_value(None, "growth", "") == policy.value_floor


def test_a_hundred_more_mentions_from_an_account_raise_the_score_at_most_the_repeat_bonus():
    accounts = {1: AccountFacts("Spammer", arr=Decimal(3_600)), 2: AccountFacts("Other", arr=Decimal(80_000))}
    before = score(said(1, days_ago=10) + said(2, days_ago=3), accounts)
    after = score(said(1, days_ago=10, times=101) + said(2, days_ago=3), accounts)
    assert after.score / before.score - 1 <= POLICY.repeat_bonus
    assert math.isfinite(after.score)


def test_ranks_put_the_largest_first_and_break_ties_by_key():
    assert ranks({7: 1.0, 3: 5.0, 5: 1.0}) == {3: 1, 5: 2, 7: 3}


def test_the_policy_comes_from_settings(settings):
    settings.VOC_RANKING = settings.VOC_RANKING | {"half_life_days": 30.0, "tier_multipliers": {"free": 0.5}}
    policy = WeightPolicy.from_settings()
    assert policy.half_life_days == 30.0
    assert policy.tier_multipliers == {"free": 0.5}


def test_a_voice_counts_at_its_most_reliable_channel_and_its_latest_mention():
    accounts = {1: AccountFacts("A")}
    mixed = score(said(1, reliability=1.0, days_ago=POLICY.half_life_days) + said(1, reliability=0.5), accounts)
    [voice] = mixed.contributions
    assert (voice.reliability, voice.freshness) == (1.0, 1.0)
    assert voice.weight == pytest.approx(POLICY.value_floor * POLICY.repeat(2))
