import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from voc.ranking.scoring import (
    AccountFacts,
    Mention,
    WeightPolicy,
    ranks,
    theme_score,
    voices_of,
    voices_score,
)

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


def crowd(people, *, reliability=0.5, days_ago=0.0, prefix="@user"):
    """Mentions by that many distinct authors who match no account: a tweet each, by default."""
    return [m for n in range(people) for m in said(author=f"{prefix}{n}", reliability=reliability, days_ago=days_ago)]


def crowd_score(mentions) -> float:
    return voices_score(voices_of(mentions), {}, policy=POLICY, now=NOW, interval=False).score


def test_a_lone_unresolved_author_keeps_most_of_the_anonymous_value():
    one = score(said(author="a@gmail.com"))
    cap, value = POLICY.anonymous_cap, POLICY.anonymous_value
    assert one.score == pytest.approx(value * cap / (cap + value))
    assert one.score > 0.85 * value
    assert one.accounts == 0
    assert one.too_little_evidence


def test_more_distinct_anonymous_voices_always_score_higher():
    # 16 and 569: the smallest and largest of 19 real themes that a hard clip tied at the cap.
    people = [1, 2, 3, 8, 15, 16, 17, 50, 100, 568, 569, 570, 5_000, 5_001]
    scores = [crowd_score(crowd(n)) for n in people]
    assert all(smaller < larger for smaller, larger in zip(scores, scores[1:], strict=False))


def test_each_more_anonymous_voice_adds_less_than_the_one_before():
    scores = [crowd_score(crowd(n)) for n in range(0, 40)]
    gains = [later - earlier for earlier, later in zip(scores, scores[1:], strict=False)]
    assert all(0 < later < earlier for earlier, later in zip(gains, gains[1:], strict=False))


def test_anonymous_voices_never_exceed_the_cap():
    for people in (1, 16, 569, 20_000):
        result = score(crowd(people, reliability=1.0))
        assert result.score < POLICY.anonymous_cap
        assert result.high < POLICY.anonymous_cap
        assert sum(c.weight for c in result.contributions) == pytest.approx(result.score)


def test_an_anonymous_crowd_never_outweighs_two_accounts_at_the_floor():
    accounts = {1: AccountFacts("A"), 2: AccountFacts("B")}
    two_accounts = score(said(1) + said(2), accounts)
    assert crowd_score(crowd(20_000, reliability=1.0)) < two_accounts.score


def test_anonymous_voices_share_the_crowd_in_proportion_to_what_each_is_worth():
    result = score(said(author="reporter", reliability=1.0) + crowd(99, days_ago=POLICY.half_life_days))
    unscaled = [c.value * c.reliability * c.freshness * c.repeat for c in result.contributions]
    cap = POLICY.anonymous_cap
    expected = cap * sum(unscaled) / (cap + sum(unscaled))
    assert result.score == pytest.approx(expected)
    for contribution, own in zip(result.contributions, unscaled, strict=True):
        assert contribution.weight == pytest.approx(own * cap / (cap + sum(unscaled)))
    # The reporter's ticket is worth four times an old tweet, before and after the scaling.
    assert result.contributions[0].weight == pytest.approx(4 * result.contributions[-1].weight)


def test_anonymous_voices_never_touch_an_accounts_share():
    accounts = {1: AccountFacts("Acme", arr=Decimal(250_000))}
    alone = score(said(1, days_ago=4), accounts)
    with_crowd = score(said(1, days_ago=4) + crowd(300), accounts)
    [acme] = [c for c in with_crowd.contributions if c.account_id == 1]
    assert acme.weight == pytest.approx(alone.score)
    assert with_crowd.score == pytest.approx(sum(c.weight for c in with_crowd.contributions))


def test_with_no_accounts_themes_order_by_distinct_voices():
    sizes = [16, 40, 100, 569, 250, 19, 75]
    scores = {people: crowd_score(crowd(people)) for people in sizes}
    # A tie would put the smaller theme first (ranks break ties by key), so any tie fails this too.
    assert sorted(sizes, key=ranks(scores).get) == sorted(sizes, reverse=True)


def test_with_no_accounts_fresher_and_more_reliable_voices_rank_higher():
    fresh_tweets = crowd_score(crowd(300))
    old_tweets = crowd_score(crowd(300, days_ago=POLICY.half_life_days))
    fresh_tickets = crowd_score(crowd(300, reliability=1.0, prefix="someone@mail.example#"))
    assert old_tweets < fresh_tweets < fresh_tickets


def test_the_interval_of_an_anonymous_crowd_contains_its_score():
    mentions = [m for n in range(200) for m in said(author=f"@user{n}", reliability=0.5, days_ago=n % 90)]
    result = score(mentions)
    assert result.low <= result.score <= result.high < POLICY.anonymous_cap
    assert result.low < result.high


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
