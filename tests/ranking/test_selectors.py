import datetime as dt
import json
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import AccountFactory, SourceFactory
from tests.ranking.conftest import NOW, mention, same_score
from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
from voc.ranking.models import ThemeRanking
from voc.ranking.scoring import Mention, WeightPolicy, theme_score, voices_score
from voc.ranking.selectors import (
    account_facts,
    items_with_themes,
    ranking_read,
    theme_explained,
    themes_ranked,
    unsorted_weighed,
    voices_by_theme,
)
from voc.ranking.services import rankings_refresh
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
    [row] = themes_ranked(now=NOW, explain=True)
    assert [c.mentions for c in row.score.contributions] == [3, 1]
    assert row.score.accounts == 0


def test_a_less_reliable_source_weighs_less():
    theme = Theme.objects.create(name="App crashes")
    account = AccountFactory()
    mention(theme, account, source=SourceFactory(reliability_weight=0.4))
    [row] = themes_ranked(now=NOW, explain=True)
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


def test_change_over_four_weeks_compares_with_the_period_ending_four_weeks_ago():
    theme = Theme.objects.create(name="Transfers")
    mention(theme, AccountFactory(), days_ago=40)
    mention(theme, AccountFactory(), days_ago=20)
    [four_weeks_ago] = themes_ranked(now=NOW - dt.timedelta(weeks=4))
    [row] = themes_ranked(now=NOW)
    assert row.change < 0  # a week ago both voices were already there, and fresher
    assert row.change_4_weeks == pytest.approx(row.score.score - four_weeks_ago.score.score)
    assert row.change_4_weeks > 0.5


def test_the_database_adds_up_the_same_voices_the_formula_reads_from_single_mentions(loud_and_broad):
    theme = Theme.objects.create(name="Fees")
    account = AccountFactory(arr=50_000)
    mention(theme, account, days_ago=30, source=SourceFactory(reliability_weight=0.5))
    mention(theme, account, days_ago=3)
    mention(theme, author_handle="@someone", days_ago=2)
    mention(theme, author_handle="@someone", days_ago=9)
    mention(theme, days_ago=1)  # no author at all: a voice of its own
    policy = WeightPolicy()
    since, until = NOW - dt.timedelta(days=90), NOW + dt.timedelta(seconds=1)
    mentions = defaultdict(list)
    for item in FeedbackItem.objects.select_related("source"):
        author = item.author_email or item.author_handle or f"item {item.pk}"
        reliability = item.source.reliability_weight
        mentions[item.theme_id].append(Mention(item.account_id, author, reliability, item.occurred_at))
    voices = voices_by_theme(since, until)
    assert set(voices) == set(mentions)
    for theme_id, said in mentions.items():
        accounts = account_facts({m.account_id for m in said})
        expected = theme_score(said, accounts, policy=policy, now=until, seed=theme_id)
        actual = voices_score(voices[theme_id], accounts, policy=policy, now=until, seed=theme_id)
        assert same_score(actual, expected)


def test_the_list_is_read_from_the_snapshot_until_the_next_refresh(loud_and_broad):
    loud_theme, broad_theme = loud_and_broad
    rankings_refresh(now=NOW)
    newcomer = Theme.objects.create(name="Statements")
    for _n in range(20):
        mention(newcomer, AccountFactory(arr=900_000))
    ranking = ranking_read()
    assert ranking.computed_at == NOW
    assert [row.theme for row in ranking.rows] == [broad_theme, loud_theme]
    assert ranking.rows[1].rank_by_mentions == 1

    rankings_refresh()
    assert [row.theme for row in ranking_read().rows][0] == newcomer


def test_the_snapshot_leaves_out_themes_retired_since_and_reranks_within_a_theme_filter(loud_and_broad):
    loud_theme, broad_theme = loud_and_broad
    rankings_refresh(now=NOW)
    loud_theme.product_area = ProductArea.objects.create(name="Top-ups")
    loud_theme.save()
    [row] = ranking_read(product_area="Top-ups").rows
    assert (row.theme, row.rank, row.rank_by_mentions) == (loud_theme, 1, 1)
    Theme.objects.filter(pk=broad_theme.pk).update(retired_at=NOW)
    assert [row.theme for row in ranking_read().rows] == [loud_theme]


def test_a_missing_snapshot_or_two_filters_on_accounts_and_sources_are_computed_from_the_feedback(loud_and_broad):
    loud_theme, _ = loud_and_broad
    assert ranking_read().computed_at is None
    assert len(ranking_read().rows) == 2
    rankings_refresh(now=NOW)
    both = ranking_read(segment="smb", source_kind=Source.Kind.API)
    assert both.computed_at is None
    assert [row.theme for row in both.rows] == [loud_theme]


@pytest.mark.parametrize("name", ["segment", "tier", "region", "source_kind"])
def test_a_single_filter_on_accounts_or_sources_is_read_from_its_slice_of_the_snapshot(name):
    themes = [Theme.objects.create(name=f"Theme {n}") for n in range(4)]
    sources = [SourceFactory(kind=kind) for kind in (Source.Kind.ZENDESK, Source.Kind.REDDIT)]
    accounts = [
        AccountFactory(segment=segment, plan_tier=tier, region=region, arr=arr)
        for segment, tier, region, arr in [
            ("smb", "free", "EMEA", 3_000), ("enterprise", "enterprise", "NA", 900_000),
            ("mid_market", "growth", "EMEA", 60_000), ("enterprise", "growth", "APAC", 250_000),
        ]
    ]
    for n in range(40):  # the same account over both kinds of source, anonymous voices, several weeks
        account = accounts[n % 4] if n % 5 else None
        mention(themes[n % 3 + (n % 7 == 0)], account, days_ago=n % 50 + 1, source=sources[n % 2],
                author_handle=f"@someone{n % 6}")
    rankings_refresh(now=NOW)

    value = {"segment": "enterprise", "tier": "growth", "region": "EMEA", "source_kind": Source.Kind.REDDIT}[name]
    from_snapshot = ranking_read(**{name: value})
    computed = themes_ranked(now=NOW, **{name: value})
    assert from_snapshot.computed_at == NOW
    assert [row.theme for row in from_snapshot.rows] == [row.theme for row in computed]
    for snapshot, live in zip(from_snapshot.rows, computed, strict=True):
        assert (snapshot.rank, snapshot.rank_by_mentions) == (live.rank, live.rank_by_mentions)
        assert snapshot.change == pytest.approx(live.change)
        assert snapshot.change_4_weeks == pytest.approx(live.change_4_weeks)
        assert same_score(snapshot.score, live.score)


def test_a_theme_is_explained_from_its_own_items_with_its_ranks_from_the_snapshot(loud_and_broad):
    loud_theme, broad_theme = loud_and_broad
    assert theme_explained(theme=loud_theme).rank is None
    rankings_refresh(now=NOW)
    explained = theme_explained(theme=loud_theme)
    assert (explained.rank, explained.rank_by_mentions) == (2, 1)
    assert len(explained.score.contributions) == 1
    assert explained.score.mentions == 40
    assert ThemeRanking.objects.filter(theme=loud_theme, slice="").count() == 4  # one per period the list offers
    assert theme_explained(theme=Theme.objects.create(name="Quiet")) is None


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


def units_in(item, *themes):
    """Cut an item into one unit per theme given, in order, as processing does for a multi-problem note."""
    item.units.all().delete()
    for position, theme in enumerate(themes):
        FeedbackUnit.objects.create(item=item, position=position, start=0, end=len(item.text), theme=theme)


def test_an_account_counts_once_per_theme_however_many_units_and_items_it_used():
    export, sso = Theme.objects.create(name="Export times out"), Theme.objects.create(name="SSO loops")
    account = AccountFactory(arr=100_000)
    units_in(mention(export, account), export, export, sso)  # one note: two units on the export, one on SSO
    mention(export, account)  # and a second note on the export
    alone = Theme.objects.create(name="Alone")
    mention(alone, AccountFactory(arr=100_000))

    ranked = {row.theme: row.score for row in themes_ranked(now=NOW, explain=True)}

    assert ranked[export].accounts == ranked[sso].accounts == 1
    assert ranked[export].mentions == 2  # two items, not three units
    assert ranked[sso].mentions == 1
    assert [voice.mentions for voice in ranked[export].contributions] == [2]
    # One voice with one mention in SSO weighs what one voice with one mention weighs anywhere.
    assert ranked[sso].score == pytest.approx(ranked[alone].score)


def test_unsorted_feedback_is_weighed_as_a_theme_would_be():
    mention(None, AccountFactory(arr=50_000))
    mention(None, AccountFactory(arr=50_000))
    mention(Theme.objects.create(name="Sorted"), AccountFactory())

    unsorted = unsorted_weighed(now=NOW)

    assert unsorted.items == 2
    assert unsorted.score.accounts == 2
    assert unsorted.score.score > 0
    assert unsorted_weighed(now=NOW, status="new") is None  # unsorted feedback has no status


def test_items_with_themes_lists_every_theme_an_item_raised():
    export, sso = Theme.objects.create(name="Export times out"), Theme.objects.create(name="SSO loops")
    note = mention(export, AccountFactory(name="Acme"))
    units_in(note, sso, export, sso)

    [row] = list(items_with_themes(now=NOW))

    assert row.item_id == note.pk
    assert row.account == "Acme"
    assert row.themes == [(sso.pk, "SSO loops"), (export.pk, "Export times out")]
