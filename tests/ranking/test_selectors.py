import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import AccountFactory, SourceFactory
from tests.ranking.conftest import NOW, mention
from voc.feedback.models import Source
from voc.ranking.selectors import themes_ranked
from voc.themes.models import ProductArea, Theme

pytestmark = pytest.mark.django_db

def test_eight_large_accounts_outrank_one_loud_small_account(loud_and_broad):
    loud_theme, broad_theme = loud_and_broad
    ranked = {row.theme: row for row in themes_ranked(now=NOW)}
    assert ranked[broad_theme].rank == 1
    assert ranked[loud_theme].rank == 2
    assert ranked[loud_theme].rank_by_mentions == 1
    assert ranked[loud_theme].score.loudness == 1.0
    assert ranked[loud_theme].score.too_little_evidence


def test_filters_narrow_the_feedback_by_account_source_and_theme(loud_and_broad):
    loud_theme, broad_theme = loud_and_broad
    assert [row.theme for row in themes_ranked(now=NOW, segment="smb")] == [loud_theme]
    broad_theme.product_area = ProductArea.objects.create(name="Cards")
    broad_theme.save()
    assert [row.theme for row in themes_ranked(now=NOW, product_area="Cards")] == [broad_theme]
    assert [row.theme for row in themes_ranked(now=NOW, status=Theme.Status.NEW, segment="")] == [
        broad_theme, loud_theme,
    ]
    assert themes_ranked(now=NOW, source_kind=Source.Kind.REDDIT) == []


def test_an_unknown_filter_is_refused():
    with pytest.raises(ValueError, match="unknown filter colour"):
        themes_ranked(colour="red")


def test_feedback_outside_the_period_and_retired_themes_are_left_out():
    old, retired = Theme.objects.create(name="Old"), Theme.objects.create(name="Gone", retired_at=NOW)
    mention(old, AccountFactory(), days_ago=200)
    mention(retired, AccountFactory())
    assert themes_ranked(now=NOW, period_days=90) == []
    assert [row.theme for row in themes_ranked(now=NOW, period_days=365)] == [old]


def test_unresolved_authors_are_one_voice_each_by_email():
    theme = Theme.objects.create(name="Fees")
    for _ in range(3):
        mention(theme, author_email="someone@gmail.com")
    mention(theme, author_email="other@gmail.com")
    [row] = themes_ranked(now=NOW)
    assert [c.mentions for c in row.score.contributions] == [3, 1]
    assert row.score.accounts == 0


def test_a_less_reliable_source_weighs_less():
    theme = Theme.objects.create(name="App crashes")
    account = AccountFactory()
    mention(theme, account, source=SourceFactory(reliability_weight=0.4))
    [row] = themes_ranked(now=NOW)
    assert row.score.contributions[0].reliability == pytest.approx(0.4)


def test_change_compares_with_the_score_as_it_stood_a_week_ago():
    theme = Theme.objects.create(name="Transfers")
    mention(theme, AccountFactory(), days_ago=10)
    mention(theme, AccountFactory(), days_ago=2)
    [week_ago] = themes_ranked(now=NOW - dt.timedelta(days=7))
    [row] = themes_ranked(now=NOW)
    assert week_ago.score.accounts == 1
    assert row.change == pytest.approx(row.score.score - week_ago.score.score)
    assert row.change > 0


def test_voc_rank_prints_the_table_and_json(loud_and_broad):
    out = StringIO()
    call_command("voc_rank", "--period", "12w", stdout=out)
    table = out.getvalue()
    assert "Card delivery" in table
    assert "* too little evidence" in table
    out = StringIO()
    call_command("voc_rank", "--json", "--segment", "enterprise", stdout=out)
    [row] = json.loads(out.getvalue())
    assert row["theme"] == "Card delivery"
    assert row["accounts"] == 8
    assert sum(c["contribution"] for c in row["contributions"]) == pytest.approx(row["score"], abs=1e-3)


@pytest.mark.parametrize("period", ["90", "0d", "3m", "-5d"])
def test_voc_rank_refuses_a_bad_period(period):
    with pytest.raises(CommandError, match="--period"):
        call_command("voc_rank", "--period", period, stdout=StringIO())
