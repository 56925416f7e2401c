"""A customer-success person logs a call note in a real browser, with the keyboard only."""

import pytest

from tests.factories import AccountDomainFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS
from voc.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_call_note_is_logged_with_the_keyboard_alone(live_server, page, screenshot):
    account = AccountDomainFactory(account__name="Pebble Studio", domain="pebble.example").account
    UserFactory(username="casey", roles=[CUSTOMER_SUCCESS])

    page.goto(f"{live_server.url}/log/")
    page.fill("#id_username", "casey")
    page.fill("#id_password", "pw")
    with page.expect_navigation(url=f"{live_server.url}/log/"):
        page.keyboard.press("Enter")

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
