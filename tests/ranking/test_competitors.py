"""Competitor mentions per theme: the distinct accounts whose units name a competitor, kept in the snapshots so the
ranked list shows and filters by them, and quoted on the theme's page."""

import pytest

from tests.factories import AccountFactory, CompetitorFactory
from tests.ranking.conftest import NOW, mention
from voc.feedback.models import FeedbackUnit
from voc.ranking.competitors import CompetitorMention, competitor_counts
from voc.ranking.models import ThemeRanking
from voc.ranking.selectors import ranking_read, theme_competitor_quotes, theme_explained
from voc.ranking.services import rankings_refresh
from voc.themes.models import Theme


def naming(competitor, theme, account=None, *, text: str = "Zendesk does this already", days_ago: float = 1):
    item = mention(theme, account, text=text, days_ago=days_ago)
    FeedbackUnit.objects.get(item=item).competitors.add(competitor)
    return item


@pytest.mark.parametrize(
    ("accounts", "mentions", "phrase"),
    [
        (8, 11, "8 accounts mention Zendesk"),
        (1, 3, "1 account mentions Zendesk"),
        (0, 2, "2 mentions of Zendesk"),  # authors without an account only
        (0, 1, "1 mention of Zendesk"),
    ],
)
def test_the_phrase_counts_accounts_and_falls_back_to_mentions(accounts, mentions, phrase):
    assert CompetitorMention(1, "Zendesk", accounts, mentions).phrase == phrase


@pytest.fixture
def mentions():
    """Export themes: three accounts name Zendesk (one of them twice), one names Intercom; billing names nobody."""
    exports, billing = Theme.objects.create(name="Exports"), Theme.objects.create(name="Billing")
    zendesk, intercom = CompetitorFactory(name="Zendesk"), CompetitorFactory(name="Intercom")
    loud = AccountFactory(segment="enterprise")
    naming(zendesk, exports, loud)
    naming(zendesk, exports, loud)
    naming(zendesk, exports, AccountFactory(segment="smb"))
    naming(zendesk, exports, AccountFactory(segment="smb"))
    naming(zendesk, exports, None)  # an author without an account: a mention, not an account
    naming(intercom, exports, AccountFactory(segment="smb"), text="Intercom exports it")
    for _ in range(3):
        mention(billing, AccountFactory())
    return exports, billing, zendesk, intercom


@pytest.mark.django_db
def test_counts_are_distinct_accounts_and_items_per_theme_and_competitor(mentions):
    exports, _, zendesk, intercom = mentions
    counts = competitor_counts(FeedbackUnit.objects.all())
    assert counts == {(exports.pk, None): {zendesk.pk: (3, 5), intercom.pk: (1, 1)}}


@pytest.mark.django_db
def test_the_snapshot_keeps_the_accounts_per_competitor_and_slice(mentions):
    exports, billing, zendesk, intercom = mentions
    rankings_refresh(now=NOW)

    overall = ThemeRanking.objects.get(period_days=90, slice="", theme=exports)
    assert overall.competitors == {
        str(zendesk.pk): {"accounts": 3, "mentions": 5}, str(intercom.pk): {"accounts": 1, "mentions": 1}
    }
    assert ThemeRanking.objects.get(period_days=90, slice="segment=smb", theme=exports).competitors == {
        str(zendesk.pk): {"accounts": 2, "mentions": 2}, str(intercom.pk): {"accounts": 1, "mentions": 1}
    }
    assert ThemeRanking.objects.get(period_days=90, slice="", theme=billing).competitors == {}


@pytest.mark.django_db
@pytest.mark.parametrize("snapshots", [True, False], ids=["snapshots", "computed"])
def test_the_competitor_filter_keeps_themes_with_a_unit_naming_it(mentions, snapshots):
    exports, billing, zendesk, intercom = mentions
    if snapshots:
        rankings_refresh(now=NOW)
    assert {row.theme for row in ranking_read().rows} == {exports, billing}
    [row] = ranking_read(competitor=zendesk.pk).rows
    assert row.theme == exports
    assert [mention.phrase for mention in row.competitors] == ["3 accounts mention Zendesk",
                                                               "1 account mentions Intercom"]
    assert list(ranking_read(competitor=intercom.pk + 100).rows) == []


@pytest.mark.django_db
def test_a_filter_on_two_account_attributes_counts_only_their_accounts(mentions):
    exports, _, zendesk, _ = mentions
    rankings_refresh(now=NOW)
    [row] = ranking_read(competitor=zendesk.pk, segment="smb", tier="growth").rows
    assert row.theme == exports
    assert row.competitors[0].phrase == "2 accounts mention Zendesk"


@pytest.mark.django_db
def test_a_competitor_deleted_since_the_snapshot_is_not_shown(mentions):
    exports, _, zendesk, intercom = mentions
    rankings_refresh(now=NOW)
    intercom.delete()
    row = next(row for row in ranking_read().rows if row.theme == exports)
    assert [mention.name for mention in row.competitors] == ["Zendesk"]


@pytest.mark.django_db
def test_the_theme_page_quotes_the_latest_units_naming_each_competitor(mentions):
    exports, billing, zendesk, intercom = mentions
    naming(zendesk, exports, text="Old: Zendesk did it", days_ago=200)  # outside the period
    row = theme_explained(theme=exports)
    assert [mention.name for mention in row.competitors] == ["Zendesk", "Intercom"]
    quotes = theme_competitor_quotes(theme=exports, mentions=row.competitors, period_days=90)

    assert [(entry.mention.name, entry.mention.accounts) for entry in quotes] == [("Zendesk", 3), ("Intercom", 1)]
    assert len(quotes[0].units) == 3  # the latest few, not all five
    assert all("Old:" not in unit.words for entry in quotes for unit in entry.units)
    assert [unit.words for unit in quotes[1].units] == ["Intercom exports it"]
    assert theme_competitor_quotes(theme=billing, mentions=theme_explained(theme=billing).competitors) == []
