"""Logging in lands each role on its own home: a PM on this week at a glance, customer success on the log form."""

import pytest

from tests.digests.conftest import week  # noqa: F401 (a riser, a faller, a new theme and a steady one, ranked)
from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("week")]


def logs_in(page, live_server, username: str) -> None:
    """On the plain login page, asked for no page in particular: it lands on the home page."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    with page.expect_navigation(url=f"{live_server.url}/"):
        page.click("input[type=submit]")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


def test_a_pm_lands_on_this_week_at_a_glance(live_server, page, screenshot):
    UserFactory(username="priya", roles=[PRODUCT])

    logs_in(page, live_server, "priya")

    assert page.inner_text("h1") == "This week at a glance"
    top = page.locator("#top-themes tbody tr td:nth-child(2)").all_inner_texts()
    assert top == ["Card delivery delays", "App login", "Top-up fails", "Statement export"]
    assert "3 new accounts ($1.2M ARR, all Enterprise) in the last 7 days" in page.inner_text("#risers")
    chart = page.locator("#weekly-chart svg")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 400  # drawn at a readable size, not a thumbnail
    assert page.locator("#weekly-chart text", has_text="so far").count() == 1
    assert page.locator("#weekly-chart figcaption li").all_inner_texts() == top
    screenshot("home-pm")

    page.fill("#glance-q", "card")
    page.keyboard.press("Enter")
    page.wait_for_url("**/feedback/?q=card")


def test_customer_success_lands_on_the_log_form_beside_the_accounts_they_logged_for(live_server, page, screenshot):
    casey = UserFactory(username="casey", roles=[CUSTOMER_SUCCESS])
    FeedbackItemFactory(account=AccountFactory(name="Pebble Studio"), logged_by=casey)

    logs_in(page, live_server, "casey")

    assert page.inner_text("h1") == "Log feedback"
    assert page.evaluate("document.activeElement.id") == "id_account"
    screenshot("home-cs")

    page.click(".recent-accounts a.new-note")
    page.wait_for_url("**/log/?account=*")
    assert page.input_value("#id_account") == "Pebble Studio"
    assert page.evaluate("document.activeElement.id") == "id_text"  # the account is chosen: on to the note
