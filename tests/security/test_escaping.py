"""Customer text is data, never markup: script and HTML in feedback, in a theme's name or in an account's name are
shown escaped on every page, kept as text in the API and the CSV export, and harmless in the weekly digest."""

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.html import escape

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory, UserFactory
from voc.api.services import api_token_create
from voc.core.roles import CUSTOMER_SUCCESS
from voc.digests.rendering import digest_render
from voc.digests.selectors import DigestFilters, digest_build
from voc.feedback.forms import manual_source
from voc.feedback.models import FeedbackItem
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
# 79 characters: whole even where a list shows only the first 80 of a text.
TEXT = f"Hi {SCRIPT}{IMG}{SVG}"
ACCOUNT = f"Acme {SCRIPT}{IMG}{SVG}"
THEME = f"Exports {SCRIPT}{IMG}{SVG}"
# What would run in a browser if any payload reached a page unescaped.
LIVE = ("<script>alert(1)", "<img src=x onerror", "<svg onload")
NOW = timezone.now()


def assert_escaped(page: str, *shown: str) -> None:
    """No payload is live on the page, and each of `shown` is there, escaped."""
    for live in LIVE:
        assert live not in page
    for text in shown:
        assert escape(text) in page


@pytest.fixture
def hostile():
    """A processed item whose text, theme and account all carry payloads, ranked and with a weekly trend."""
    account = AccountFactory(name=ACCOUNT, arr=Decimal(120_000))
    theme = Theme.objects.create(name="exports fail", human_name=THEME)
    item = FeedbackItemFactory(text=TEXT, account=account, theme=theme, status=FeedbackItem.Status.PROCESSED,
                               occurred_at=NOW - dt.timedelta(days=1))
    Theme.objects.filter(pk=theme.pk).update(representative_unit_ids=[item.units.get().pk])
    weeks_refresh(weeks=12)
    rankings_refresh()
    return item


@pytest.fixture
def superuser(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


def page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# --- customer-success pages ----------------------------------------------------------------------


def test_the_feedback_list_shows_text_and_account_names_escaped(cs, hostile):
    assert_escaped(page(cs, "/feedback/"), TEXT, ACCOUNT)


def test_the_feedback_list_filtered_by_an_account_shows_its_name_escaped_in_the_heading_and_the_search_box(
    cs, hostile
):
    listed = page(cs, "/feedback/", account=hostile.account_id)
    assert_escaped(listed, TEXT)
    assert f"<h1>Feedback from {escape(ACCOUNT)}</h1>" in listed
    assert f'value="{escape(ACCOUNT)}"' in listed


def test_a_feedback_page_shows_its_text_and_account_escaped(cs, hostile):
    assert_escaped(page(cs, f"/feedback/{hostile.pk}/"), TEXT, ACCOUNT)


def test_the_log_page_shows_the_picked_accounts_name_escaped(cs, hostile):
    logged = page(cs, "/log/", account=hostile.account_id)
    assert_escaped(logged, ACCOUNT)
    assert f'value="{escape(ACCOUNT)}"' in logged


def test_a_rejected_note_comes_back_escaped_in_the_form(cs, hostile):
    response = cs.post("/log/", {
        "account": ACCOUNT, "account_id": hostile.account_id, "kind": "manual", "source": manual_source().pk,
        "text": TEXT, "occurred_at": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    })
    assert response.status_code == 200
    assert "is in the future" in response.content.decode()
    assert_escaped(response.content.decode(), TEXT, ACCOUNT)


def test_account_suggestions_carry_names_as_json_text(cs, hostile):
    response = cs.get("/accounts/autocomplete/", {"q": "Acme"})
    assert response["Content-Type"] == "application/json"
    assert [choice["name"] for choice in response.json()["results"]] == [ACCOUNT]


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_feedback_list_shows_text_account_and_theme_escaped(superuser, hostile):
    assert_escaped(page(superuser, "/admin/feedback/feedbackitem/"), TEXT, ACCOUNT, THEME)


def test_the_admin_feedback_page_shows_text_and_account_escaped(superuser, hostile):
    assert_escaped(page(superuser, f"/admin/feedback/feedbackitem/{hostile.pk}/change/"), TEXT, ACCOUNT)


def test_the_admin_theme_page_shows_the_themes_name_escaped(superuser, hostile):
    assert_escaped(page(superuser, f"/admin/themes/theme/{hostile.theme_id}/change/"), THEME)


def test_the_ranked_list_shows_theme_names_escaped(pm, hostile):
    assert_escaped(page(pm, "/admin/ranking/"), THEME)


def test_a_themes_page_shows_its_name_quotes_items_and_accounts_escaped(pm, hostile):
    explained = page(pm, f"/admin/ranking/{hostile.theme_id}/")
    assert_escaped(explained, THEME, TEXT, ACCOUNT)
    explanation = explained[explained.index('id="explanation"'):explained.index("Representative quotes")]
    assert escape(ACCOUNT) in explanation
    quotes = explained[explained.index("Representative quotes"):explained.index('id="items"')]
    assert escape(TEXT) in quotes


def test_an_accounts_page_shows_its_name_its_themes_and_its_feedback_escaped(pm, hostile):
    assert_escaped(page(pm, f"/admin/accounts/account/{hostile.account_id}/voice/"), ACCOUNT, THEME, TEXT)


# --- the CSV export --------------------------------------------------------------------------------


def test_the_csv_export_is_a_download_that_keeps_names_as_text(pm, hostile):
    response = pm.get("/admin/ranking/", {"export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["theme"] for row in rows] == [THEME]


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
     "\t=1+1", "\r=1+1"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage return"],
)
def test_a_csv_cell_that_would_start_a_formula_is_kept_as_text(pm, name):
    theme = Theme.objects.create(name="formula", human_name=name)
    FeedbackItemFactory(theme=theme, account=AccountFactory(), status=FeedbackItem.Status.PROCESSED)
    rankings_refresh()

    rows = list(csv.DictReader(io.StringIO(pm.get("/admin/ranking/", {"export": "csv"}).content.decode())))

    assert [row["theme"] for row in rows] == [f"'{name}"]


# --- the REST API ----------------------------------------------------------------------------------


@pytest.fixture
def api_client(client):
    user = UserFactory(roles=[CUSTOMER_SUCCESS])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(user=user, name='test')[1]}"
    return client


def test_the_api_hands_feedback_back_as_json_text_exactly_as_sent(api_client):
    sent = api_client.post("/api/v1/feedback", {"kind": "ticket", "text": TEXT, "title": SVG},
                           content_type="application/json")
    assert sent.status_code == 201

    response = api_client.get(sent["Location"])

    assert response["Content-Type"] == "application/json"
    assert (response.json()["text"], response.json()["title"]) == (TEXT, SVG)


# --- the weekly digest -------------------------------------------------------------------------------


@pytest.fixture
def hostile_week():
    """A theme named with payloads, raised this week by two accounts named with payloads: one wrote markup, the
    other wrote markup as entities, which cleaning a quote decodes back into markup."""
    theme = Theme.objects.create(name="exports fail", human_name=THEME)
    entities = escape(f"{SCRIPT} {IMG}")
    for number, (arr, text) in enumerate([(900_000, entities), (500_000, TEXT)]):
        FeedbackItemFactory(theme=theme, account=AccountFactory(name=f"{ACCOUNT} {number}", arr=Decimal(arr)),
                            text=text, status=FeedbackItem.Status.PROCESSED, source=SourceFactory(),
                            occurred_at=NOW - dt.timedelta(days=2))
    weeks_refresh(weeks=12, now=NOW)
    rankings_refresh(now=NOW)
    digest = digest_build(filters=DigestFilters(), now=NOW)
    assert [line.theme for line in digest.top] == [theme]
    assert len(digest.top[0].quotes) == 2
    return digest_render(digest)


def test_the_digests_html_shows_theme_names_quotes_and_accounts_escaped(hostile_week):
    html = hostile_week.html
    assert_escaped(html, THEME, f"{ACCOUNT} 0", f"{ACCOUNT} 1")
    # Decoded from entities, the first quote is markup again, and is escaped again.
    assert escape(f"{SCRIPT} {IMG}") in html


def test_the_digests_text_part_is_plain_text_with_names_as_typed_and_quotes_stripped_of_markup(hostile_week):
    text = hostile_week.text
    assert THEME in text
    assert f"{ACCOUNT} 1" in text
    # TEXT's quote: its tags dropped, what was written around them kept.
    assert '“Hi ">” — ' + f"{ACCOUNT} 1" in text
    assert "&lt;" not in text
    assert "&quot;" not in text
