"""GET /api/v1/feedback: the newest feedback, or a full-text search of it, narrowed by the list's filters."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory, UserFactory
from voc.accounts.models import Account
from voc.core.roles import PRODUCT

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback"
NOW = timezone.now()


def item(text, *, days_ago=1, **fields):
    return FeedbackItemFactory(text=text, occurred_at=NOW - dt.timedelta(days=days_ago), **fields)


def ids(response) -> list[int]:
    return [result["id"] for result in response.json()["results"]]


def test_without_a_query_it_lists_the_newest_first_without_ranks(api_client):
    older, newer = item("Refund please", days_ago=3), item("Card lost", days_ago=1)

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert ids(response) == [newer.pk, older.pk]
    assert (body["count"], body["count_capped"], body["page"], body["pages"], body["next"]) == (2, False, 1, 1, None)
    assert body["results"][0]["text_preview"] == "Card lost"
    assert body["results"][0]["rank"] is None
    assert body["results"][0]["snippet"] is None


def test_a_query_answers_the_best_matches_first_with_snippets(api_client):
    in_text = item("Paying with apple pay fails at checkout", days_ago=1)
    in_title = item("Fails at checkout", title="Apple Pay broken", days_ago=2)
    item("My card never arrived")

    response = api_client.get(URL, {"q": "apple pay"})

    body = response.json()
    assert ids(response) == [in_title.pk, in_text.pk]
    assert body["query"] == "apple pay"
    assert body["results"][0]["rank"] > body["results"][1]["rank"] > 0
    assert "<mark>" in body["results"][0]["title_highlighted"]
    assert "<mark>apple</mark> <mark>pay</mark>" in body["results"][1]["snippet"].lower()


def test_the_snippet_is_escaped_html(api_client):
    item("<script>alert(1)</script> refund please")

    snippet = api_client.get(URL, {"q": "refund"}).json()["results"][0]["snippet"]

    assert "<script" not in snippet
    assert "<mark>refund</mark>" in snippet


def test_it_filters_by_theme_account_segment_source_days_and_sentiment(api_client):
    enterprise = AccountFactory(segment=Account.Segment.ENTERPRISE)
    tickets = SourceFactory(name="tickets")
    wanted = item("Refund please", days_ago=3, account=enterprise, source=tickets, sentiment="negative")
    item("Refund please", days_ago=3, account=AccountFactory(segment="smb"), source=tickets, sentiment="negative")
    item("Refund please", days_ago=3, account=enterprise, sentiment="negative")
    item("Refund please", days_ago=3, account=enterprise, source=tickets, sentiment="positive")
    item("Refund please", days_ago=30, account=enterprise, source=tickets, sentiment="negative")
    day = wanted.occurred_at.date().isoformat()
    params = {"segment": "enterprise", "source": "tickets", "sentiment": "negative", "since": day, "until": day}

    assert ids(api_client.get(URL, {"q": "refund", **params})) == [wanted.pk]
    assert ids(api_client.get(URL, params)) == [wanted.pk]
    assert ids(api_client.get(URL, {"account": enterprise.pk, "sentiment": "positive"})) != []


def test_it_pages_by_twenty_with_links(api_client):
    for days_ago in range(1, 23):
        item("Refund please", days_ago=days_ago)

    first = api_client.get(URL, {"q": "refund"}).json()
    second = api_client.get(first["next"]).json()

    assert (len(first["results"]), first["pages"]) == (20, 2)
    assert "page=2" in first["next"]
    assert "q=refund" in first["next"]
    assert len(second["results"]) == 2
    assert second["previous"] is not None


def test_a_page_past_the_last_is_not_found(api_client):
    item("Refund please")

    response = api_client.get(URL, {"page": 2})

    assert response.status_code == 404
    assert response.json() == {"detail": "Page 2 is past the last page (1)."}


@pytest.mark.parametrize(("params", "named"), [
    ({"segment": "galactic"}, "segment"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-02-30"}, "until"),
    ({"until": "9999-12-31"}, "until"),
    ({"theme": "0"}, "theme"),
    ({"account": str(2**64)}, "account"),
    ({"page": "0"}, "page"),
    ({"page": "51"}, "page"),
    ({"sentiment": "angry"}, "sentiment"),
    ({"q": "refund\x00"}, "q"),
])
def test_an_invalid_parameter_is_refused_with_its_name(api_client, params, named):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"Invalid query parameters: {named}: ")


def test_an_unknown_source_is_refused_not_answered_with_nothing(api_client):
    response = api_client.get(URL, {"source": "zendeks"})

    assert response.status_code == 400
    assert response.json() == {"detail": "There is no source named 'zendeks'."}


@pytest.mark.parametrize("query", ['- OR "" ---', "-refund", "😡"])
def test_a_query_with_nothing_to_look_for_is_refused_with_a_reason(api_client, query):
    response = api_client.get(URL, {"q": query})

    assert response.status_code == 400
    assert "search" in response.json()["detail"]


def test_a_ten_thousand_character_query_is_searched_by_its_start_with_a_note(api_client):
    wanted = item("Refund please")

    response = api_client.get(URL, {"q": "refund " * 1_500})

    assert ids(response) == [wanted.pk]
    assert response.json()["notes"][0] == "Only the first 500 characters of the query were searched."


@pytest.mark.parametrize("query", ["银行卡没到", "بطاقتي", "карта", "' OR 1=1 --", "title:x NEAR(a b) *"])
def test_a_query_in_any_alphabet_or_syntax_is_answered(api_client, query):
    item("银行卡没到 بطاقتي карта")

    assert api_client.get(URL, {"q": query}).status_code == 200


def test_it_needs_the_view_permission(token_client):
    assert token_client(roles=[]).get(URL).status_code == 403


def test_it_needs_a_token_or_a_session():
    assert APIClient().get(URL).status_code == 401


def test_a_signed_in_session_may_search():
    item("Refund please")
    session = APIClient()
    session.force_login(UserFactory(roles=[PRODUCT]))

    assert session.get(URL, {"q": "refund"}).status_code == 200
