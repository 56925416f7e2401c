"""A PM works the ranked themes in a real browser: filters, reads an explanation, merges a duplicate theme."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory, UserFactory
from voc.core.roles import PRODUCT
from voc.feedback.models import FeedbackItem
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Curation, ProductArea, Theme

pytestmark = pytest.mark.django_db(transaction=True)


def said(theme, account, *, days_ago=2):
    FeedbackItemFactory(
        theme=theme, account=account, status=FeedbackItem.Status.PROCESSED, source=SourceFactory(),
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        text=f"{theme.name if theme else 'Something new'}: still a problem",
    )


@pytest.fixture
def ranked_themes():
    cards = ProductArea.objects.create(name="Cards", slug="cards")
    loud = Theme.objects.create(name="Top-up fails")
    broad = Theme.objects.create(name="Card delivery", product_area=cards)
    duplicate = Theme.objects.create(name="Card never arrived", product_area=cards)
    pebble = AccountFactory(name="Pebble Studio", arr=Decimal(3_600), segment="smb")
    for _ in range(40):
        said(loud, pebble)
    for n in range(8):
        said(broad, AccountFactory(name=f"Large {n}", arr=Decimal(400_000), segment="enterprise"), days_ago=n + 1)
    for n in range(3):
        said(duplicate, AccountFactory(name=f"Mid {n}", arr=Decimal(80_000)))
    emerging = Theme.objects.create(name="CSV export times out", emerging=True)
    for n in range(2):
        said(emerging, AccountFactory(name=f"Reporting {n}", arr=Decimal(30_000)), days_ago=1)
    for n in range(2):
        said(None, AccountFactory(name=f"Elsewhere {n}", arr=Decimal(50_000)))
    weeks_refresh(weeks=12)
    rankings_refresh()
    return loud, broad, duplicate


def test_a_pm_filters_the_ranking_reads_an_explanation_and_merges_a_duplicate(
    live_server, page, screenshot, ranked_themes
):
    loud, broad, duplicate = ranked_themes
    UserFactory(username="pat", roles=[PRODUCT])

    page.goto(f"{live_server.url}/admin/login/?next=/admin/ranking/")
    page.fill("#id_username", "pat")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#ranked-themes")
    rows = page.locator("#ranked-themes tbody tr")
    first = rows.nth(0).locator("td")
    assert first.nth(0).inner_text() == "1"  # first by weight,
    assert first.nth(1).inner_text().startswith("Card delivery")
    assert "#2 by mentions" in rows.nth(0).inner_text()  # second by mentions
    assert "Top-up fails" in rows.nth(3).inner_text()  # first by mentions, last by weight
    assert "#1 by mentions" in rows.nth(3).inner_text()
    # Eight columns that fit: no horizontal scroll at the widths a PM works at.
    for width in (1440, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert "Emerging" in page.inner_text("#ranked-themes >> tr:has-text('CSV export times out')")
    unsorted = page.inner_text("#unsorted-row")
    assert "Unsorted" in unsorted
    assert "2 items" in unsorted
    screenshot("ranking-list")

    page.select_option("#id_product_area", "Cards")
    with page.expect_navigation():
        page.click("#ranking-filters button[type=submit]")
    assert "Top-up fails" not in page.inner_text("#ranked-themes")
    assert page.locator("#ranked-themes tbody tr").count() == 2
    assert page.locator("#unsorted-row").count() == 0  # unsorted feedback has no product area
    screenshot("ranking-list-filtered")

    with page.expect_navigation():
        page.click("#ranked-themes >> text=Card delivery")
    explanation = page.locator("#explanation tbody tr")
    assert explanation.count() == 8
    assert explanation.nth(0).inner_text().startswith("Large 0")  # the freshest of equal accounts first
    assert "8" in page.inner_text("#score-facts")
    screenshot("theme-explanation")

    page.goto(f"{live_server.url}/admin/themes/theme/")
    for theme in (broad, duplicate):
        page.check(f"input[name=_selected_action][value='{theme.pk}']")
    page.select_option("select[name=action]", "merge_themes")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.check(f"#merge-form input[name=target][value='{broad.pk}']")
    screenshot("merge-themes")
    with page.expect_navigation():
        page.click("#merge-form input[type=submit]")
    assert "Merged 1 theme into “Card delivery” (3 items moved)" in page.inner_text(".messagelist")

    duplicate.refresh_from_db()
    assert duplicate.merged_into == broad
    assert FeedbackItem.objects.filter(theme=broad).count() == 11
    assert Curation.objects.get(action=Curation.Action.MERGE).user.username == "pat"

    page.goto(f"{live_server.url}/admin/ranking/{broad.pk}/")
    assert page.locator("#explanation tbody tr").count() == 11
    screenshot("theme-explanation-after-merge")
