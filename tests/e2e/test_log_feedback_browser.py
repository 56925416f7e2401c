"""A customer-success person logs a call note in a real browser, with the keyboard only, and sees where it went."""

import pytest

from tests.factories import AccountDomainFactory, UserFactory
from tests.feedback.test_views import THREE_PROBLEMS, intent_of_theme, themes_from_sample
from voc.core.roles import CUSTOMER_SUCCESS
from voc.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db(transaction=True)


def casey_logs_in(page, live_server) -> None:
    """Through the login page the log form sends her to, and back to the form, by keyboard."""
    page.goto(f"{live_server.url}/log/")
    page.fill("#id_username", "casey")
    page.fill("#id_password", "pw")
    with page.expect_navigation(url=f"{live_server.url}/log/"):
        page.keyboard.press("Enter")


def test_a_call_note_is_logged_with_the_keyboard_alone(live_server, page, screenshot):
    account = AccountDomainFactory(account__name="Pebble Studio", domain="pebble.example").account
    UserFactory(username="casey", roles=[CUSTOMER_SUCCESS])

    casey_logs_in(page, live_server)

    assert page.evaluate("document.activeElement.id") == "id_account"  # ready to type, no click needed
    page.keyboard.type("pebble")
    page.wait_for_selector("[role=option]")
    screenshot("log-feedback-autocomplete")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.focus("#id_text")
    page.keyboard.type("Top-ups fail since Monday <script>alert(1)</script>")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".messages a")
    screenshot("log-feedback-confirmed")

    item = FeedbackItem.objects.get()
    assert (item.account, item.logged_by.username) == (account, "casey")
    assert item.text == "Top-ups fail since Monday <script>alert(1)</script>"

    page.click(".messages a")
    page.wait_for_url(f"**/feedback/{item.pk}/")
    assert "<script>alert(1)</script>" in page.inner_text("main")  # shown as text, not run
    screenshot("feedback-detail")


def test_a_note_raising_three_problems_is_confirmed_and_shown_in_three_themes(live_server, page, screenshot):
    intent_of = themes_from_sample()
    AccountDomainFactory(account__name="Pebble Studio", domain="pebble.example")
    UserFactory(username="casey", roles=[CUSTOMER_SUCCESS])

    casey_logs_in(page, live_server)
    page.keyboard.type("pebble")
    page.wait_for_selector("[role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.fill("#id_text", " ".join(THREE_PROBLEMS.values()))
    page.focus("#id_text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".messages a")

    item = FeedbackItem.objects.get(logged_by__username="casey")
    themes = [unit.theme for unit in item.units.select_related("theme")]
    assert [intent_of_theme(theme, intent_of) for theme in themes] == list(THREE_PROBLEMS)
    names = ", ".join(theme.display_name for theme in themes)
    assert page.inner_text(".messages") == f"Logged: feedback #{item.pk} — joined {names}"
    screenshot("log-feedback-three-themes-confirmed")

    page.click(".messages a")
    page.wait_for_url(f"**/feedback/{item.pk}/")
    rows = page.locator("#where-it-went tbody tr")
    assert rows.count() == 3
    for row, theme in zip(rows.all(), themes, strict=True):
        assert row.locator("td.theme a").inner_text() == theme.display_name
    assert page.locator(".text mark.unit").count() == 3
    screenshot("feedback-detail-three-themes")

    page.goto(f"{live_server.url}/admin/feedback/feedbackitem/{item.pk}/change/")
    assert page.locator("ol.units li").count() == 3
    screenshot("feedback-admin-three-themes")

    exchange_rates = themes[1]  # as its theme page links to its feedback
    page.goto(f"{live_server.url}/admin/feedback/feedbackitem/?theme={exchange_rates.pk}")
    listed = page.locator("#result_list tbody tr")
    assert listed.count() == exchange_rates.units.values("item").distinct().count()
    assert page.locator("#changelist-filter li.selected", has_text=exchange_rates.display_name).count() == 1
    screenshot("feedback-admin-filtered-by-theme")
