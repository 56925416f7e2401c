"""The ranked list's columns and trends: headers in words, figures stacked to fit, sparklines under the filters."""

import re
from decimal import Decimal

import pytest

from tests.factories import AccountFactory
from tests.ranking.conftest import mention
from voc.ranking.charts import week_sparkline_svg
from voc.ranking.selectors import theme_week_series
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_segments():
    """One theme raised by enterprise accounts weeks ago and by small ones this week."""
    theme = Theme.objects.create(name="Card delivery")
    for n in range(3):
        mention(theme, AccountFactory(name=f"Large {n}", arr=Decimal(400_000), segment="enterprise"), days_ago=30)
    for n in range(4):
        mention(theme, AccountFactory(name=f"Small {n}", arr=Decimal(5_000), segment="smb"), days_ago=0)
    weeks_refresh(weeks=12)
    rankings_refresh()
    return theme


def sparkline_title(page: str, theme: Theme) -> str:
    row = page.split(f'href="/admin/ranking/{theme.pk}/')[1].split("</tr>")[0]
    return re.search(r"<title>(Weekly score, .*?)</title>", row).group(1)


def test_a_rows_sparkline_follows_the_segment_filter(pm, two_segments):
    unfiltered = sparkline_title(pm.get("/admin/ranking/").content.decode(), two_segments)
    enterprise = sparkline_title(pm.get("/admin/ranking/?segment=enterprise").content.decode(), two_segments)

    assert enterprise != unfiltered
    expected = week_sparkline_svg(theme_week_series([two_segments.pk], weeks=12, segment="enterprise")[two_segments.pk])
    assert enterprise in expected
    assert enterprise.endswith(", 0.0, 0.0, 0.0, 0.0")  # nothing from enterprise accounts in the last weeks
    assert "the last not over (so far)" in enterprise


def test_the_columns_say_what_they_mean_in_words_with_the_formula_in_the_title(pm, two_segments):
    page = pm.get("/admin/ranking/").content.decode()
    header = page.split('id="ranked-themes"')[1].split("</thead>")[0]
    assert header.count("<th ") == 8
    assert 'title="Share of mentions from the single loudest account: its mentions ÷ all mentions">loudest account' in (
        header)
    assert "value × reliability × freshness × repeat" in header
    assert 'title="Score now − score of the same period ending four weeks ago">4 weeks' in header
    assert 'aria-current="true">Rank ▲</a>' in header  # sorted by rank, first to last


def test_a_row_stacks_its_figures_and_names_status_and_area_under_the_theme(pm, two_segments):
    page = pm.get("/admin/ranking/").content.decode()
    row = page.split(f'href="/admin/ranking/{two_segments.pk}/')[1].split("</tr>")[0]
    assert "New · no product area" in row
    assert '$1.2M</span>' in row  # ARR under the accounts, in voc's money format
    assert "#1 by mentions" in row
    assert "loudest 14%" in row


def test_sort_links_keep_the_filters_and_flip_direction(pm, two_segments):
    page = pm.get("/admin/ranking/?segment=smb&o=-arr").content.decode()
    header = page.split('id="ranked-themes"')[1].split("</thead>")[0]
    assert 'href="?segment=smb&amp;o=arr"' in header
    assert "ARR ▼" in header
