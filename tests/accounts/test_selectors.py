import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory
from tests.ranking.conftest import NOW, mention, same_contribution
from voc.accounts.selectors import UNTHEMED, account_feedback, account_feedback_themes, account_themes, account_value
from voc.feedback.models import FeedbackItem
from voc.ranking.scoring import AccountFacts, Mention, WeightPolicy, theme_score
from voc.ranking.selectors import themes_ranked
from voc.themes.models import ProductArea, Theme

pytestmark = pytest.mark.django_db

POLICY = WeightPolicy(tier_multipliers={"enterprise": 1.2}, segment_multipliers={"enterprise": 1.5})


@pytest.fixture
def acme():
    return AccountFactory(name="Acme", arr=Decimal(250_000), plan_tier="enterprise", segment="enterprise")


def test_it_lists_the_themes_the_account_touches_biggest_contribution_first(acme):
    cards, fees = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Fees")
    mention(fees, acme, days_ago=80)
    for days_ago in (2, 5, 9):
        mention(cards, acme, days_ago=days_ago)
    rows = account_themes(account=acme, now=NOW, policy=POLICY)
    assert [(row.theme, row.mentions) for row in rows] == [(cards, 3), (fees, 1)]
    assert abs(rows[0].latest - (NOW - dt.timedelta(days=2))) < dt.timedelta(milliseconds=1)


def test_its_contribution_is_what_theme_score_gives_for_the_account_alone(acme):
    cards = Theme.objects.create(name="Card delivery")
    ticket, tweet = SourceFactory(reliability_weight=1.0), SourceFactory(reliability_weight=0.4)
    mention(cards, acme, days_ago=30, source=tweet)
    mention(cards, acme, days_ago=3, source=ticket)
    [row] = account_themes(account=acme, now=NOW, policy=POLICY)

    mentions = [
        Mention(acme.pk, "", 0.4, NOW - dt.timedelta(days=30)), Mention(acme.pk, "", 1.0, NOW - dt.timedelta(days=3)),
    ]
    facts = {acme.pk: AccountFacts(name="Acme", arr=Decimal(250_000), tier="enterprise", segment="enterprise")}
    [expected] = theme_score(mentions, facts, policy=POLICY, now=NOW).contributions
    assert same_contribution(row.contribution, expected)
    assert row.contribution.weight == pytest.approx(
        POLICY.account_value(Decimal(250_000), "enterprise", "enterprise") * 1.0
        * POLICY.freshness(NOW - dt.timedelta(days=3), NOW) * POLICY.repeat(2)
    )


def test_its_contribution_matches_the_accounts_row_on_the_ranking(acme):
    cards = Theme.objects.create(name="Card delivery")
    mention(cards, acme, days_ago=4)
    mention(cards, acme, days_ago=40)
    for _ in range(3):
        mention(cards, AccountFactory())
    for n in range(20):  # enough anonymous voices to hit the cap, which must not touch an account's share
        mention(cards, author_email=f"someone{n}@gmail.com")
    [ranked] = themes_ranked(now=NOW, policy=POLICY, explain=True)
    [in_ranking] = [c for c in ranked.score.contributions if c.account_id == acme.pk]
    [row] = account_themes(account=acme, now=NOW, policy=POLICY)
    assert same_contribution(row.contribution, in_ranking)


def test_retired_themes_unprocessed_items_and_items_outside_the_period_are_left_out(acme):
    live, retired = Theme.objects.create(name="Live"), Theme.objects.create(name="Gone", retired_at=NOW)
    mention(live, acme)
    mention(retired, acme)
    mention(Theme.objects.create(name="Old"), acme, days_ago=200)
    FeedbackItemFactory(account=acme, theme=Theme.objects.create(name="Pending"), status=FeedbackItem.Status.PENDING)
    FeedbackItemFactory(account=acme, status=FeedbackItem.Status.PROCESSED)  # no theme
    assert [row.theme for row in account_themes(account=acme, now=NOW, policy=POLICY)] == [live]
    assert {row.theme.name for row in account_themes(account=acme, now=NOW, period_days=365, policy=POLICY)} == {
        "Live", "Old",
    }


def test_another_accounts_feedback_never_counts(acme):
    shared, theirs = Theme.objects.create(name="Shared"), Theme.objects.create(name="Theirs")
    other = AccountFactory(name="Globex")
    mention(shared, acme, days_ago=3)
    for _ in range(5):
        mention(shared, other)
    mention(theirs, other)
    mention(shared, author_email="anon@gmail.com")
    [row] = account_themes(account=acme, now=NOW, policy=POLICY)
    assert row.theme == shared
    assert row.mentions == 1
    assert row.contribution.account_id == acme.pk


def test_it_reads_only_the_accounts_own_items(acme):
    mention(Theme.objects.create(name="Card delivery"), acme)
    with CaptureQueriesContext(connection) as queries:
        account_themes(account=acme, now=NOW, policy=POLICY)
    unit_queries = [q["sql"] for q in queries if 'FROM "feedback_feedbackunit"' in q["sql"]]
    assert unit_queries
    assert all(f'"feedback_feedbackitem"."account_id" = {acme.pk}' in sql for sql in unit_queries)


def test_the_themes_carry_their_product_area_without_another_query(acme):
    area = ProductArea.objects.create(name="Cards", slug="cards")
    cards = Theme.objects.create(name="Card delivery", product_area=area)
    mention(cards, acme)
    rows = account_themes(account=acme, now=NOW, policy=POLICY)
    with CaptureQueriesContext(connection) as queries:
        assert rows[0].theme.product_area.name == "Cards"
    assert len(queries) == 0


def test_the_account_value_is_the_policys_value_for_its_arr_tier_and_segment(acme):
    expected = POLICY.account_value(Decimal(250_000), "enterprise", "enterprise")
    assert account_value(account=acme, policy=POLICY) == expected
    assert account_value(account=AccountFactory(arr=None, plan_tier="", segment=""), policy=POLICY) == 1.0


def test_the_feedback_list_holds_all_the_accounts_items_newest_first_whatever_their_state(acme):
    cards = Theme.objects.create(name="Card delivery")
    themed = mention(cards, acme, days_ago=3)
    pending = FeedbackItemFactory(account=acme, occurred_at=NOW - dt.timedelta(days=1))
    old = mention(Theme.objects.create(name="Gone", retired_at=NOW), acme, days_ago=400)
    FeedbackItemFactory(account=AccountFactory())
    FeedbackItemFactory()
    assert list(account_feedback(account=acme)) == [pending, themed, old]


def test_the_feedback_list_filters_by_theme_or_by_having_none(acme):
    cards, fees = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Fees")
    on_cards, on_fees = mention(cards, acme), mention(fees, acme)
    unthemed = FeedbackItemFactory(account=acme)
    mention(cards, AccountFactory())
    assert list(account_feedback(account=acme, theme=str(cards.pk))) == [on_cards]
    assert list(account_feedback(account=acme, theme=str(fees.pk))) == [on_fees]
    assert list(account_feedback(account=acme, theme=UNTHEMED)) == [unthemed]
    assert len(account_feedback(account=acme, theme="not-a-theme")) == 3


def test_the_theme_choices_are_the_accounts_themes_retired_ones_included(acme):
    cards, gone = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Gone", retired_at=NOW)
    mention(cards, acme)
    mention(cards, acme)
    mention(gone, acme, days_ago=400)
    mention(Theme.objects.create(name="Theirs"), AccountFactory())
    assert account_feedback_themes(account=acme) == [cards, gone]
