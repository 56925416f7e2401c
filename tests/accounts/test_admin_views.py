import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from tests.ranking.conftest import NOW, mention
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db


def voice_url(account) -> str:
    return f"/admin/accounts/account/{account.pk}/voice/"


@pytest.fixture
def acme():
    return AccountFactory(name="Acme", region="EMEA")


def header(page: str) -> str:
    return page[page.index('id="account-facts"'):page.index('id="period-form"')]


def themes_table(page: str) -> str:
    return page[page.index('id="account-themes"'):page.index('id="feedback"')]


def feedback_rows(page: str) -> str:
    return page[page.index('id="account-feedback"'):]


@pytest.mark.parametrize("role", [PRODUCT, CUSTOMER_SUCCESS])
def test_product_and_customer_success_people_see_an_accounts_themes_and_feedback(client, acme, role):
    cards = Theme.objects.create(name="Card delivery")
    mention(cards, acme, text="My card never came")
    client.force_login(UserFactory(roles=[role]))
    response = client.get(voice_url(acme))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme: feedback and themes" in page
    assert "EMEA" in page
    assert f'href="/admin/ranking/{cards.pk}/?period=90d' in page
    assert "My card never came" in page


def test_the_header_shows_the_accounts_facts_and_its_value_under_the_ranking_policy(pm, acme, settings):
    settings.VOC_RANKING = settings.VOC_RANKING | {"arr_unit": 10_000.0, "value_floor": 1.0,
                                                   "tier_multipliers": {"growth": 2.0}, "segment_multipliers": {}}
    facts = header(pm.get(voice_url(acme)).content.decode())
    assert "$50,000" in facts
    assert "Growth" in facts
    assert "Mid-market" in facts
    assert "EMEA" in facts
    assert "5.584" in facts  # (1 + ln(1 + 50,000 / 10,000)) × 2 for Growth


def test_the_themes_table_shows_each_theme_with_its_mentions_and_contribution(pm, acme):
    cards, fees = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Fees")
    mention(cards, acme, days_ago=2)
    mention(cards, acme, days_ago=3)
    mention(fees, acme, days_ago=60)
    table = themes_table(pm.get(voice_url(acme)).content.decode())
    assert table.index("Card delivery") < table.index("Fees")
    assert re.search(r"Card delivery</a></td>\s*<td>New</td>\s*<td>—</td>\s*<td class=\"num\">2</td>", table)


def test_the_period_selector_changes_which_themes_count(pm, acme):
    mention(Theme.objects.create(name="Old complaint"), acme, days_ago=120)
    for period, shown in [("90d", False), ("180d", True), ("bogus", False)]:  # an unknown period means 90 days
        page = pm.get(voice_url(acme), {"period": period}).content.decode()
        assert ("Old complaint" in themes_table(page)) is shown
        assert "Old complaint" in feedback_rows(page)  # the feedback list is never cut to the period


def test_unthemed_and_unprocessed_items_are_listed_with_their_status(pm, acme):
    FeedbackItemFactory(account=acme, text="Still waiting to be processed")
    page = feedback_rows(pm.get(voice_url(acme)).content.decode())
    assert "Still waiting to be processed" in page
    assert "Pending" in page


def test_each_item_links_to_its_admin_page(pm, acme):
    item = FeedbackItemFactory(account=acme)
    assert f'href="/admin/feedback/feedbackitem/{item.pk}/change/"' in pm.get(voice_url(acme)).content.decode()


def test_another_accounts_feedback_never_appears(pm, acme):
    theirs = Theme.objects.create(name="Their theme")
    mention(theirs, AccountFactory(name="Globex"), text="Globex says hello")
    page = pm.get(voice_url(acme)).content.decode()
    assert "Globex says hello" not in page
    assert "Their theme" not in page


def test_html_in_feedback_and_theme_names_is_escaped(pm, acme):
    theme = Theme.objects.create(name="<script>alert(1)</script>")
    mention(theme, acme, text="<img src=x onerror=alert(2)>", title="<b>bold</b>")
    page = pm.get(voice_url(acme)).content.decode()
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_the_feedback_is_paginated_fifty_a_page_newest_first(pm, acme):
    for n in range(55):
        FeedbackItemFactory(account=acme, text=f"Feedback number {n:02d}.", occurred_at=NOW - dt.timedelta(hours=n))
    page = pm.get(voice_url(acme)).content.decode()
    assert "All feedback (55)" in page
    first = feedback_rows(page)
    assert first.count(">Feedback number") == 50  # the text of each row, not its title (the same words on hover)
    assert first.index("Feedback number 00.") < first.index("Feedback number 49.")
    assert "page 1 of 2" in first
    second = feedback_rows(pm.get(voice_url(acme), {"page": 2}).content.decode())
    assert re.findall(r">Feedback number (\d\d)\.", second) == ["50", "51", "52", "53", "54"]


def test_the_feedback_filters_by_theme_and_the_pages_keep_the_filter(pm, acme):
    cards, fees = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Fees")
    for n in range(51):
        mention(cards, acme, text=f"Cards item {n}", days_ago=1 + n / 100)
    mention(fees, acme, text="Fees item")
    FeedbackItemFactory(account=acme, text="Nobody sorted me")
    page = pm.get(voice_url(acme), {"theme": fees.pk}).content.decode()
    assert "All feedback (1)" in page
    assert "Fees item" in feedback_rows(page)
    assert "Cards item" not in feedback_rows(page)
    assert f'<option value="{fees.pk}" selected>Fees</option>' in page
    cards_page = pm.get(voice_url(acme), {"theme": cards.pk}).content.decode()
    assert "All feedback (51)" in cards_page
    assert f"theme={cards.pk}&amp;page=2" in cards_page
    unthemed = pm.get(voice_url(acme), {"theme": "none"}).content.decode()
    assert "All feedback (1)" in unthemed
    assert "Nobody sorted me" in unthemed


def test_the_page_takes_the_same_number_of_queries_however_many_items_it_shows(pm, acme):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert pm.get(voice_url(acme)).status_code == 200
        return len(captured)

    mention(Theme.objects.create(name="Card delivery"), acme)
    few = queries()
    for n in range(10):
        mention(Theme.objects.create(name=f"Theme {n}"), acme)
        FeedbackItemFactory(account=acme)
    assert queries() == few


def test_an_unknown_account_is_not_found(pm):
    assert pm.get("/admin/accounts/account/999999/voice/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, acme):
    response = client.get(voice_url(acme))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_view_account_permission_are_refused(client, acme):
    client.force_login(UserFactory())
    assert client.get(voice_url(acme)).status_code == 403


def test_the_account_list_links_every_row_to_its_page_in_one_query(pm, acme):
    def list_queries() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as captured:
            response = pm.get("/admin/accounts/account/")
        return response.content.decode(), len(captured)

    page, one = list_queries()
    assert f'href="{voice_url(acme)}"' in page
    others = AccountFactory.create_batch(5)
    page, six = list_queries()
    assert all(f'href="{voice_url(account)}"' in page for account in others)
    assert six == one


def test_the_account_form_links_to_its_page(pm, acme):
    page = pm.get(f"/admin/accounts/account/{acme.pk}/change/").content.decode()
    assert f'href="{voice_url(acme)}"' in page
    assert "Feedback and themes" in page


def test_the_account_list_shows_arr_as_money_in_one_column(pm):
    AccountFactory(name="Granite Peak", arr=Decimal("2623000.00"), arr_currency="USD")
    AccountFactory(name="Maison Bleue", arr=Decimal("1200.50"), arr_currency="EUR")
    page = pm.get("/admin/accounts/account/").content.decode()
    header = page[page.index("<thead>"):page.index("</thead>")]
    assert '<td class="field-annual_revenue">$2,623,000</td>' in page
    assert '<td class="field-annual_revenue">€1,200</td>' in page
    assert "2623000.00" not in page
    assert "currency" not in header.lower()  # no column of its own: the symbol is in the amount
    assert "?o=2" in header  # the ARR column still sorts, by the amount


def test_the_account_list_names_its_columns_in_words(pm):
    AccountFactory(name="Granite Peak")
    header = pm.get("/admin/accounts/account/").content.decode().split("<thead>")[1].split("</thead>")[0]
    columns = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", header, re.S)]
    assert [column for column in columns if column] == [
        "Name", "ARR", "Tier", "Segment", "Region", "Lifecycle", "Feedback and themes",
    ]


def test_each_domain_on_the_account_form_is_named_for_screen_readers(admin_client, acme):
    acme.domains.create(domain="acme.example")
    page = admin_client.get(f"/admin/accounts/account/{acme.pk}/change/").content.decode()
    assert page.count('aria-label="Domain"') == 3  # the stored one, an empty row and the row "Add another" copies
    assert 'aria-label="Delete this domain"' in page


def test_the_period_is_named_in_days(pm, acme):
    page = pm.get(voice_url(acme), {"period": "180d"}).content.decode()
    assert "Themes it touches, last 180 days" in page
    assert '<option value="180d" selected>last 180 days</option>' in page
