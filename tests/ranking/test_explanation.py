import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AccountFactory
from tests.ranking.conftest import NOW, mention
from voc.accounts.models import Account
from voc.ranking.explanation import policy_terms, score_sentence, theme_explanation
from voc.ranking.scoring import Contribution, ThemeScore, WeightPolicy
from voc.ranking.selectors import RankedTheme, theme_explained
from voc.themes.models import Theme


def ranked(*, rank=3, by_mentions=10, accounts=26, arr="4994270", people=0, too_little_evidence=False):
    """A row as theme_explained gives it: the sentence reads only its ranks, counts, ARR and unresolved voices."""
    anonymous = tuple(
        Contribution(None, f"Unresolved: @someone{n}", 1, 0.25, 0.5, 1.0, 1.0, 0.1) for n in range(people)
    )
    score = ThemeScore(
        score=10.0, low=8.0, high=12.0, contributions=anonymous, accounts=accounts, arr=Decimal(arr), mentions=80,
        loudness=0.1, too_little_evidence=too_little_evidence,
    )
    return RankedTheme(
        theme=Theme(name="Exchange rates"), score=score, rank=rank, rank_by_mentions=by_mentions, change=0.0,
        change_4_weeks=0.0,
    )


def sentence(row, segments=None):
    return score_sentence(row=row, segments=segments or {}, period_days=90, min_accounts=3)


def test_the_sentence_says_why_a_theme_ranks_where_it_does_and_where_mentions_would_put_it():
    row = ranked()
    assert sentence(row, {"Enterprise": 9, "Mid-market": 12, "SMB": 5}) == (
        "Ranked #3 because 26 accounts worth $5.0M ARR raised it, 9 of them Enterprise; "
        "by mentions alone it would be #10."
    )


def test_the_sentence_says_when_mentions_alone_would_give_the_same_rank():
    assert sentence(ranked(rank=2, by_mentions=2)) == (
        "Ranked #2 because 26 accounts worth $5.0M ARR raised it; it would hold the same rank by mentions alone."
    )


def test_the_sentence_speaks_of_one_account_in_the_singular():
    one = ranked(rank=4, by_mentions=1, accounts=1, arr="400000", too_little_evidence=True)
    assert sentence(one, {"Enterprise": 1}) == (
        "Ranked #4 because 1 Enterprise account worth $400k ARR raised it; by mentions alone it would be #1. "
        "Too little evidence to trust the rank yet: only 1 account raised it, fewer than the 3 it takes."
    )
    assert sentence(one).startswith("Ranked #4 because 1 account worth $400k ARR raised it;")


def test_without_enterprise_accounts_the_sentence_names_the_largest_segment():
    assert sentence(ranked(), {"SMB": 20, "Mid-market": 6}).startswith(
        "Ranked #3 because 26 accounts worth $5.0M ARR raised it, 20 of them SMB;"
    )
    assert sentence(ranked(), {"Mid-market": 26}).startswith(
        "Ranked #3 because 26 accounts worth $5.0M ARR raised it, all of them Mid-market;"
    )
    # No segment known, or no ARR known: the clause is left out rather than said empty.
    assert sentence(ranked(arr="0"), {"": 26}).startswith("Ranked #3 because 26 accounts raised it; by mentions")


def test_the_sentence_counts_the_people_we_could_not_tie_to_an_account():
    assert sentence(ranked(people=4), {"Enterprise": 9}) == (
        "Ranked #3 because 26 accounts worth $5.0M ARR (9 of them Enterprise) and 4 people we could not tie to an "
        "account raised it; by mentions alone it would be #10."
    )
    assert "and 1 person we could not tie to an account raised it" in sentence(ranked(people=1))
    crowd = ranked(rank=7, by_mentions=2, accounts=0, arr="0", people=12, too_little_evidence=True)
    assert sentence(crowd) == (
        "Ranked #7 because 12 people we could not tie to an account raised it, and no account did; by mentions "
        "alone it would be #2. Too little evidence to trust the rank yet: no account raised it, fewer than the 3 it "
        "takes."
    )


def test_an_unranked_theme_says_why_it_has_no_rank():
    assert sentence(None) == "Not ranked: nobody raised this theme in the last 90 days."
    assert sentence(ranked(rank=None, by_mentions=None, accounts=5, arr="250000")) == (
        "Not ranked yet: 5 accounts worth $250k ARR raised it in the last 90 days; the ranking counts it at its next "
        "refresh."
    )


def test_the_settings_are_said_in_words_from_the_policy_in_force():
    terms = policy_terms(WeightPolicy(half_life_days=30, repeat_bonus=0.2, tier_multipliers={"enterprise": 1.5}))
    assert "halves every 30 days" in terms["freshness"].words
    assert "Enterprise tier ×1.5" in terms["multipliers"].words
    assert "a second mention adds 10%, and however many more, 20% at most" in terms["repeat"].words
    assert "$1,000,000 ARR" not in terms["value"].words  # amounts in the one money format
    assert "$1,000,000 5.6" in terms["value"].words
    assert terms["freshness"].settings == ("VOC_RANK_HALF_LIFE_DAYS",)
    assert all("VOC_RANK" not in term.words for term in terms.values())


@pytest.mark.django_db
def test_the_explanation_folds_the_people_we_could_not_tie_to_an_account_into_one_line():
    theme = Theme.objects.create(name="Exchange rates")
    accounts = [AccountFactory(name=f"Bank {n}", arr=Decimal(200_000)) for n in range(3)]
    for account in accounts:
        mention(theme, account)
    for handle in ("@ana", "@bo", "@cy", "@ana"):
        mention(theme, None, author_handle=handle)
    row = theme_explained(theme=theme, now=NOW)

    explained = theme_explanation(row=row, period_days=90, now=NOW)

    assert [voice.contribution.label for voice in explained.accounts] == ["Bank 0", "Bank 1", "Bank 2"]
    assert explained.unresolved.count == 3
    assert explained.unresolved.mentions == 4
    assert [person.who for person in explained.unresolved.people] == ["@ana", "@bo", "@cy"]
    people_weight = sum(c.weight for c in row.score.contributions if c.account_id is None)
    assert explained.unresolved.share == pytest.approx(people_weight / row.score.score)
    assert explained.unresolved.share + sum(voice.share for voice in explained.accounts) == pytest.approx(1.0)
    assert explained.more_accounts.count == 0
    assert "and 3 people we could not tie to an account" in explained.sentence


@pytest.mark.django_db
def test_each_account_row_carries_its_segment_tier_arr_and_first_and_last_mention():
    theme = Theme.objects.create(name="Exchange rates")
    globex = AccountFactory(
        name="Globex", arr=Decimal("2623000.00"), arr_currency="EUR", segment=Account.Segment.ENTERPRISE,
        plan_tier=Account.Tier.ENTERPRISE,
    )
    for days_ago in (40, 3, 12):
        mention(theme, globex, days_ago=days_ago)
    mention(theme, globex, days_ago=200)  # outside the period: neither its first mention nor its last

    [voice] = theme_explanation(row=theme_explained(theme=theme, now=NOW), period_days=90, now=NOW).accounts

    assert (voice.segment, voice.tier, voice.arr, voice.currency) == (
        "Enterprise", "Enterprise", Decimal("2623000.00"), "EUR",
    )
    assert voice.first_mention.date() == (NOW - dt.timedelta(days=40)).date()
    assert voice.last_mention.date() == (NOW - dt.timedelta(days=3)).date()
    assert voice.contribution.mentions == 3
    assert voice.repeat_label == "+7%"


@pytest.mark.django_db
def test_the_accounts_facts_take_the_same_queries_however_many_accounts_there_are():
    def queries(accounts: int) -> int:
        theme = Theme.objects.create(name=f"Theme of {accounts}")
        for n in range(accounts):
            mention(theme, AccountFactory(name=f"Account {accounts}-{n}"))
        row = theme_explained(theme=theme, now=NOW)
        with CaptureQueriesContext(connection) as captured:
            theme_explanation(row=row, period_days=90, now=NOW, policy=WeightPolicy())
        return len(captured)

    assert queries(2) == queries(12) == 2


@pytest.mark.django_db
def test_past_the_accounts_shown_the_rest_fold_into_one_line_that_keeps_their_share():
    theme = Theme.objects.create(name="Exchange rates")
    for n in range(5):
        mention(theme, AccountFactory(name=f"Bank {n}", arr=Decimal(100_000 * (n + 1))))
    row = theme_explained(theme=theme, now=NOW)

    explained = theme_explanation(row=row, period_days=90, now=NOW, shown=2)

    assert [voice.contribution.label for voice in explained.accounts] == ["Bank 4", "Bank 3"]
    assert (explained.more_accounts.count, explained.more_accounts.mentions) == (3, 3)
    assert explained.more_accounts.share + sum(v.share for v in explained.accounts) == pytest.approx(1.0)
    assert explained.loudest is not None
