"""Full-text search under any query: text from anywhere, operator soup, every alphabet, ten thousand characters.

Each query gets hits or a reason, never an error; whatever the items hold, a snippet is escaped text with balanced
<mark> tags and nothing else; and the API answers 200 or 400 with a detail, never 5xx.
"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.factories import FeedbackItemFactory, UserFactory
from tests.fuzz.strategies import HTML_BITS, ODD_BITS, texts
from voc.api.services import api_token_create
from voc.core.roles import CUSTOMER_SUCCESS
from voc.feedback.search import MARK_END, MARK_START, feedback_search
from voc.feedback.search_syntax import search_query_parse

pytestmark = pytest.mark.django_db

# What either engine might read as syntax, were a query handed over as typed.
OPERATORS = ["OR", "or", "AND", "NOT", "NEAR", "NEAR(", "-", "--", '"', '""', "*", "^", ":", "title:", "text:", "(",
             ")", "&", "|", "!", "<->", "<2>", "\\", "'", ";", "%", "_", "+", "~", "{", "}", "[", "]"]
WORDS = ["apple", "pay", "card", "declined", "top", "up", "refund", "the", "a", "not"]
ALPHABETS = ["银行卡没到", "退款", "بطاقتي", "لم تصل", "карта", "пришла", "カード", "카드", "כרטיס", "कार्ड",
             "Überweisung", "café", "ﬁ", "😡", "👍🏽", "\u0301", "\u200d", "\ufeff", "𝔸𝕡𝕡𝕝𝕖"]

pieces = st.sampled_from(OPERATORS + WORDS + ALPHABETS + HTML_BITS + ODD_BITS)
queries = st.one_of(
    texts(),
    st.lists(pieces, max_size=12).map(" ".join),
    st.lists(pieces, max_size=12).map("".join),
    st.builds(lambda piece, times: (piece + " ") * times, pieces, st.integers(100, 2_500)),
)
MARKUP = re.compile(r"</?mark>")


@pytest.fixture
def corpus(db):
    """Items holding the words, alphabets, markup and marker characters the queries draw on."""
    for text in ["I tried apple pay and my card was declined", "My top up failed, refund please",
                 "银行卡没到 بطاقتي لم تصل карта не пришла", "<script>alert('pay')</script> <b>card</b> & co",
                 f"{MARK_START} pay {MARK_END} {MARK_END} card {MARK_START}", "😡 the app is not working 👍🏽"]:
        FeedbackItemFactory(text=text, title=text[:40])


@pytest.fixture
def api_client(db) -> APIClient:
    _, key = api_token_create(user=UserFactory(roles=[CUSTOMER_SUCCESS]), name="fuzz")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@given(query=queries)
def test_any_query_gets_hits_or_a_reason_never_an_error(corpus, query):
    results = feedback_search(query=query, per_page=50)

    if results.problem:
        assert results.hits == []
        assert results.problem.strip()
    for hit in results.hits:
        for html in (hit.title_html, hit.snippet_html):
            assert html.count("<mark>") == html.count("</mark>")
            assert "<" not in MARKUP.sub("", html)
            assert MARK_START not in html
            assert MARK_END not in html


@given(query=queries)
def test_the_parser_hands_every_engine_only_quoted_terms(query):
    parsed = search_query_parse(query)

    assert bool(parsed.problem) != parsed.searchable
    terms = [term for alternative in parsed.alternatives for term in (*alternative.included, *alternative.excluded)]
    assert all('"' not in term and "\x00" not in term and term.strip() for term in terms)
    assert parsed.fts5_match.count('"') == 2 * len(terms)
    assert parsed.websearch.count('"') == 2 * len(terms)


@given(query=queries, segment=st.sampled_from(["", "smb", "galactic"]), page=st.sampled_from(["1", "2", "0", "x"]))
def test_the_api_answers_any_query_with_200_or_a_reason(corpus, api_client, query, segment, page):
    params = {"q": query, "page": page}
    if segment:
        params["segment"] = segment

    response = api_client.get("/api/v1/feedback", params)

    assert response.status_code in {200, 400, 404}, response.content[:500]
    if response.status_code != 200:
        assert response.json()["detail"].strip()
