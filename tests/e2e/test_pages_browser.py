"""Every page of the PM, CS and admin journeys, on the demo data, as each role sees it in Chromium: at 1280×800
and 1440×900 it fits its window (measured in the page) and axe-core finds no serious or critical violation of
WCAG 2.1 AA, in the light colour scheme and the dark one. Each page is saved to test-artifacts/pages/."""

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from tests.conftest import PROJECT_ROOT
from tests.e2e.audit import page_problems
from voc.accounts.models import Account
from voc.core.roles import roles_sync
from voc.demo.services import demo_load
from voc.digests.models import DigestSubscription
from voc.feedback.models import FeedbackItem
from voc.ranking.selectors import ranking_read

PASSWORD = "voc-demo"
VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "1440": {"width": 1440, "height": 900}}
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "pages"


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def journeys(django_capture_on_commit_callbacks):
    """The demo, loaded and clustered, and the pages each role walks through on it (loaded per test: the live
    server's tests are transactional, so the database is emptied after each)."""
    roles_sync(django_apps)  # the migrations' role groups are gone once an earlier transactional test flushed
    with django_capture_on_commit_callbacks(execute=True):
        demo_load(limit=300, password=PASSWORD)
    call_command("voc_pipeline", verbosity=0)
    theme = ranking_read(period_days=90).rows[0].theme
    item = FeedbackItem.objects.filter(units__theme=theme).order_by("-occurred_at").first()
    account = Account.objects.filter(feedback_items__isnull=False).order_by("-arr").first()
    subscription = DigestSubscription.objects.first()
    return {
        "pm": [
            ("home", "/"),
            ("ranked-list", "/admin/ranking/"),
            ("ranked-list-enterprise", "/admin/ranking/?segment=enterprise"),
            ("explanation", f"/admin/ranking/{theme.pk}/"),
            ("feedback", "/feedback/"),
            ("feedback-search", "/feedback/?q=card"),
            ("item", f"/feedback/{item.pk}/"),
            ("more-like-this", f"/similar/?item={item.pk}"),
            ("curate", f"/admin/themes/theme/{theme.pk}/change/"),
            ("account-voice", f"/admin/accounts/account/{account.pk}/voice/"),
        ],
        "cs": [("home", "/"), ("log", "/log/")],
        "admin": [
            ("admin-index", "/admin/"),
            ("accounts", "/admin/accounts/account/"),
            ("account", f"/admin/accounts/account/{account.pk}/change/"),
            ("contacts", "/admin/accounts/contact/"),
            ("items", "/admin/feedback/feedbackitem/"),
            ("sources", "/admin/feedback/source/"),
            ("themes", "/admin/themes/theme/"),
            ("digest-preview", f"/admin/digests/digestsubscription/{subscription.pk}/preview/"),
        ],
    }


def walk(browser, live_server, journeys, role: str, *, viewport: str, scheme: str = "light") -> dict[str, list[str]]:
    """Log in as the role's demo user and open each page of its journey; what each page fails, by page."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        failed = {"login": page_problems(page)} if role == "pm" else {}
        page.fill("#id_username", role)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit]")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, url in journeys[role]:
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, f"{role} {url} answered {response.status}"
            page.screenshot(path=str(ARTIFACTS / f"{role}-{name}-{viewport}-{scheme}.png"), full_page=True)
            failed[f"{name} ({url})"] = page_problems(page)
        return {page_name: problems for page_name, problems in failed.items() if problems}
    finally:
        context.close()


def report(failed: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n  " + "\n  ".join(problems) for page, problems in failed.items())


@pytest.mark.parametrize("role", ["pm", "cs", "admin"])
def test_every_page_of_the_journey_fits_the_window_and_passes_axe_in_both_colour_schemes(
    browser, live_server, journeys, role
):
    failed = {
        f"{viewport} {scheme}: {page}": problems
        for viewport, scheme in [("1280", "light"), ("1440", "light"), ("1440", "dark")]
        for page, problems in walk(browser, live_server, journeys, role, viewport=viewport, scheme=scheme).items()
    }

    assert not failed, report(failed)


def tabs_to(page, selector: str, *, most: int = 80) -> None:
    """Press Tab until the focus is on an element matching `selector`: reachable by keyboard, in order."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


def test_a_pm_searches_opens_a_theme_and_unfolds_its_unresolved_people_with_the_keyboard_alone(
    browser, live_server, journeys, page
):
    page.goto(f"{live_server.url}/admin/login/")
    page.keyboard.type("pm")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/"):
        page.keyboard.press("Enter")

    tabs_to(page, "input[name=q]")
    page.keyboard.type("card")
    with page.expect_navigation(url="**/feedback/?q=card"):
        page.keyboard.press("Enter")
    page.go_back()

    tabs_to(page, "#top-themes a")
    with page.expect_navigation(url="**/admin/ranking/*/"):
        page.keyboard.press("Enter")
    assert page.inner_text("#score-sentence").startswith("Ranked #1 because")
    assert not page.locator("#unresolved-voices details").evaluate("details => details.open")

    tabs_to(page, "#unresolved-voices summary", most=200)
    page.keyboard.press("Enter")
    assert page.locator("#unresolved-voices details").evaluate("details => details.open")
