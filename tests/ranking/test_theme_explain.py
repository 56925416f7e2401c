"""A theme's score explanation page, /admin/ranking/<theme_id>/: what a PM reads aloud."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests.factories import AccountFactory
from tests.ranking.conftest import NOW, mention
from voc.accounts.models import Account
from voc.ranking.services import rankings_refresh
from voc.themes.models import Theme, ThemeEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange_rates():
    """Three accounts and two people we could not tie to one raised a theme; a snapshot ranks it."""
    theme = Theme.objects.create(name="Exchange rates")
    globex = AccountFactory(
        name="Globex Retail", arr=Decimal("2623000.00"), segment=Account.Segment.ENTERPRISE,
        plan_tier=Account.Tier.ENTERPRISE,
    )
    mention(theme, globex, days_ago=30)
    mention(theme, globex, days_ago=2)
    mention(theme, AccountFactory(name="Tidewater", arr=Decimal(155_300), segment=Account.Segment.MID_MARKET))
    mention(theme, AccountFactory(name="Pebble", arr=Decimal(3_600), segment=Account.Segment.SMB,
                                  plan_tier=Account.Tier.STARTER))
    mention(theme, None, author_handle="@frugal_cosmic")
    mention(theme, None, author_email="ines@example.com")
    rankings_refresh()
    return theme


def test_the_page_opens_with_a_sentence_that_says_why_the_theme_ranks_where_it_does(pm, exchange_rates):
    page = pm.get(f"/admin/ranking/{exchange_rates.pk}/").content.decode()
    sentence = page.split('id="score-sentence">')[1].split("</p>")[0]
    assert sentence == (
        "Ranked #1 because 3 accounts worth $2.8M ARR (1 of them Enterprise) and 2 people we could not tie to an "
        "account raised it; it would hold the same rank by mentions alone."
    )


def test_each_account_row_shows_its_segment_tier_arr_and_first_and_last_mention(pm, exchange_rates):
    table = explanation(pm.get(f"/admin/ranking/{exchange_rates.pk}/"))
    globex = table.split("Globex Retail</a>")[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", globex, re.S)]
    first, last = f"{NOW - dt.timedelta(days=30):%-d %b}", f"{NOW - dt.timedelta(days=2):%-d %b}"
    assert cells[:5] == ["Enterprise", "Enterprise", "$2,623,000", "2", f"{first} – {last}"]
    assert "Starter" in table.split("Pebble</a>")[1].split("</tr>")[0]


def test_arr_is_written_in_the_one_money_format(pm, exchange_rates):
    page = pm.get(f"/admin/ranking/{exchange_rates.pk}/").content.decode()
    assert "$2,623,000" in page
    assert "$2,781,900" in page  # the theme's ARR among the facts at the top
    assert "2623000" not in page
    assert "USD" not in page


def test_the_people_we_could_not_tie_to_an_account_fold_into_one_row_that_expands(pm, exchange_rates):
    table = explanation(pm.get(f"/admin/ranking/{exchange_rates.pk}/"))
    folded = table.split('id="unresolved-voices"')[1].split("</tr>")[0]
    summary = folded.split("<summary>")[1].split("</summary>")[0]
    assert re.fullmatch(r"2 people we could not tie to an account: \d+% of the score", summary)
    assert "@frugal_cosmic" in folded
    assert "ines@example.com" in folded
    assert "Unresolved:" not in table
    # Accounts keep rows of their own: none is folded with the people.
    assert table.count('class="who"') == 3
    assert "Globex Retail" not in folded


def test_the_settings_panel_says_them_in_words_with_the_variables_only_as_secondary_text(pm, exchange_rates):
    page = pm.get(f"/admin/ranking/{exchange_rates.pk}/").content.decode()
    assert "Revenue counts with diminishing returns" in page
    assert "<code>VOC_RANK_HALF_LIFE_DAYS</code>" in page
    primary = re.sub(r"<(code|small)\b.*?</\1>", "", page, flags=re.S)
    assert "VOC_RANK_" not in primary


def test_the_page_links_to_each_of_its_sections(pm, exchange_rates):
    page = pm.get(f"/admin/ranking/{exchange_rates.pk}/").content.decode()
    tabs = page.split('<nav class="tabs"')[1].split("</nav>")[0]
    for section in ("why", "trend", "sentiment", "quotes", "competitors", "items", "lineage"):
        assert f'href="#{section}"' in tabs
        assert f'id="{section}"' in page


def test_the_lineage_says_how_the_theme_was_born_in_words(pm, exchange_rates):
    ThemeEvent.objects.create(theme=exchange_rates, kind=ThemeEvent.Kind.BORN, items_moved=101)
    ThemeEvent.objects.create(theme=exchange_rates, kind=ThemeEvent.Kind.GREW, items_moved=1)
    page = pm.get(f"/admin/ranking/{exchange_rates.pk}/").content.decode()
    lineage = re.sub(r"\s+", " ", page.split('id="lineage-events"')[1].split("</ul>")[0])
    assert "Born with 101 items" in lineage
    assert "Grew by 1 item</li>" in lineage.replace(" </li>", "</li>")
    assert " , " not in lineage


def test_a_theme_without_feedback_in_the_period_says_it_is_not_ranked(pm):
    quiet = Theme.objects.create(name="Quiet")
    mention(quiet, AccountFactory(), days_ago=200)
    page = pm.get(f"/admin/ranking/{quiet.pk}/").content.decode()
    assert "Not ranked: nobody raised this theme in the last 90 days." in page


def explanation(response) -> str:
    page = response.content.decode()
    start = page.index('id="explanation"')
    return page[start : page.index("</table>", start)]
