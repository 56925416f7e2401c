"""Full-text search on whichever database the run uses (SQLite by default, PostgreSQL with DATABASE_URL): ranking,
snippets, filters, the web-search syntax and queries that search nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory
from tests.feedback.test_selectors import item_with_units
from voc.accounts.models import Account
from voc.feedback import search
from voc.feedback.models import FeedbackItem
from voc.feedback.search import MARK_END, MARK_START, feedback_matching, feedback_newest, feedback_search
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def unrelated_feedback():
    """Items that match none of the queries below: bm25 scores a word by how rare it is, so a corpus where every
    item matches would rank by chance."""
    for text in ["Exports time out on big workspaces", "The invoice PDF is blank", "SSO login loops forever",
                 "Dark mode please", "Slack notifications arrive twice", "Search is slow on mobile"]:
        FeedbackItemFactory(text=text, occurred_at=NOW - dt.timedelta(days=300))


def item(text, *, title="", days_ago=1, **fields) -> FeedbackItem:
    return FeedbackItemFactory(text=text, title=title, occurred_at=NOW - dt.timedelta(days=days_ago), **fields)


def found(query, **filters) -> list[FeedbackItem]:
    results = feedback_search(query=query, **filters)
    assert not results.problem, results.problem
    return [hit.item for hit in results.hits]


# --- Matching and ranking --------------------------------------------------------------------------


def test_a_pm_typing_apple_pay_finds_feedback_that_says_it_in_its_text():
    said = item("I tried to add my card to Apple Pay and it failed twice")
    item("My card arrived broken")

    assert found("apple pay") == [said]


def test_words_are_matched_by_their_stem():
    declined = item("My card keeps getting declined at the shop")

    assert found("declining cards") == [declined]


def test_an_item_that_names_the_words_in_its_title_ranks_above_one_that_has_them_in_its_text():
    in_text = item("Checkout with apple pay fails sometimes on the second try", days_ago=1)
    in_title = item("It fails at checkout on the second try", title="Apple Pay fails", days_ago=2)

    assert found("apple pay") == [in_title, in_text]


def test_an_item_that_keeps_coming_back_to_the_words_ranks_above_one_that_names_them_apart():
    apart = item("Apple stores sell cards, and I have to pay for the delivery of mine", days_ago=1)
    together = item("Apple pay broke. Apple pay fails again, apple pay is useless", days_ago=2)

    assert found("apple pay") == [together, apart]


def test_equal_matches_are_listed_newest_first():
    older = item("Refund still missing", days_ago=5)
    newer = item("Refund still missing", days_ago=2)

    assert found("refund") == [newer, older]


def test_a_query_matching_more_than_the_cap_ranks_the_newest_and_says_there_are_more(monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 3)
    best_but_old = item("refund refund refund, refund please", title="Refund", days_ago=30)
    recent = [item(f"I want a refund for order {n}", days_ago=n) for n in range(1, 5)]

    results = feedback_search(query="refund")

    assert (results.count, results.capped) == (3, True)
    assert [hit.item for hit in results.hits] == recent[:3]
    assert best_but_old not in [hit.item for hit in results.hits]
    assert results.count_label.startswith("3+ results")


def test_the_newest_matches_are_found_however_far_back_they_were_said(monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 3)
    items = {days: item("Refund please", days_ago=days) for days in [1, 2, 60, 200, 500, 900]}

    results = feedback_search(query="refund")

    assert {hit.item for hit in results.hits} == {items[1], items[2], items[60]}
    assert results.capped


def test_a_search_until_a_past_day_looks_back_from_that_day(monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    items = {days: item("Refund please", days_ago=days) for days in [100, 400, 401, 402, 700]}

    results = feedback_search(query="refund", until=NOW - dt.timedelta(days=399),
                              since=NOW - dt.timedelta(days=403))

    assert {hit.item for hit in results.hits} == {items[400], items[401]}
    assert results.capped


def test_results_are_paged_in_rank_order():
    items = [item("refund " * (5 - n) + "for my order", days_ago=n) for n in range(5)]

    second = feedback_search(query="refund", page=2, per_page=2)

    assert [hit.item for hit in second.hits] == items[2:4]
    assert (second.count, second.page.number, second.page.paginator.num_pages) == (5, 2, 3)
    assert [hit.rank for hit in second.hits] == sorted((hit.rank for hit in second.hits), reverse=True)


# --- Snippets ----------------------------------------------------------------------------------------


def test_the_snippet_marks_each_matched_word():
    item("Paying with Apple Pay failed at the store", title="Apple Pay")

    hit = feedback_search(query="apple pay").hits[0]

    assert "<mark>Apple</mark> <mark>Pay</mark>" in hit.title_html or "<mark>Apple Pay</mark>" in hit.title_html
    assert "failed at the store" in hit.snippet_html
    assert hit.snippet_html.count("<mark>") >= 2


def test_the_snippet_of_a_long_text_is_the_passage_around_the_match():
    item("The weather was nice and we talked about many things. " * 40 + "Then apple pay failed at the till. "
         + "Afterwards we went home and had dinner with friends. " * 40)

    snippet = feedback_search(query="apple pay").hits[0].snippet_html

    assert "<mark>apple</mark>" in snippet.lower()
    assert len(snippet) < 600


def test_html_and_script_in_feedback_stay_text_in_the_snippet():
    item("<script>alert('apple pay')</script> apple pay broke <b>again</b>", title="<img src=x onerror=alert(1)> Pay")

    hit = feedback_search(query="pay").hits[0]

    assert "<script" not in hit.snippet_html
    assert "<b>" not in hit.snippet_html
    assert "<img" not in hit.title_html
    assert "<mark>" in hit.snippet_html
    assert "<mark>" in hit.title_html


def test_marker_characters_a_customer_wrote_cannot_unbalance_the_markup():
    item(f"{MARK_START} apple pay {MARK_END} {MARK_END} pay {MARK_START} <i>")

    hit = feedback_search(query="pay").hits[0]

    assert hit.snippet_html.count("<mark>") == hit.snippet_html.count("</mark>") >= 1
    assert MARK_START not in hit.snippet_html
    assert MARK_END not in hit.snippet_html
    assert "<i>" not in hit.snippet_html


# --- The web-search syntax ----------------------------------------------------------------------------


def test_a_quoted_phrase_needs_its_words_together_and_in_order():
    phrase = item("My top up failed this morning")
    hyphenated = item("The top-up failed again", days_ago=2)
    item("Up to the top of the page the button is missing", days_ago=3)

    assert set(found('"top up"')) == {phrase, hyphenated}


def test_a_minus_leaves_out_items_with_that_word():
    kept = item("My card was charged twice")
    item("My card was declined", days_ago=2)

    assert found("card -declined") == [kept]


def test_a_minus_before_a_phrase_leaves_out_only_the_phrase():
    kept = item("Top of the page: card up for renewal")
    item("Card top up failed", days_ago=2)

    assert found('card -"top up"') == [kept]


def test_or_finds_either():
    refund = item("Where is my refund", days_ago=1)
    chargeback = item("I filed a chargeback", days_ago=2)
    item("Where is my card", days_ago=3)

    assert set(found("refund OR chargeback")) == {refund, chargeback}


def test_and_binds_tighter_than_or():
    refund = item("Refund please", days_ago=1)
    late_chargeback = item("The chargeback came late", days_ago=2)
    item("The chargeback came in time", days_ago=3)

    assert set(found("refund OR chargeback late")) == {refund, late_chargeback}


# --- Filters ------------------------------------------------------------------------------------------


def test_it_filters_by_account_segment_source_and_sentiment():
    enterprise = AccountFactory(segment=Account.Segment.ENTERPRISE)
    smb = AccountFactory(segment=Account.Segment.SMB)
    tickets = SourceFactory(name="tickets")
    wanted = item("Refund please", account=enterprise, source=tickets, sentiment="negative")
    item("Refund please", account=smb, source=tickets, sentiment="negative")
    item("Refund please", account=enterprise, sentiment="negative")
    item("Refund please", account=enterprise, source=tickets, sentiment="neutral")

    assert found("refund", segment="enterprise", source_id=tickets.pk, sentiment="negative") == [wanted]
    assert len(found("refund", account_id=smb.pk)) == 1


def test_it_filters_by_a_theme_any_of_an_items_problems_joined():
    cards, refunds = Theme.objects.create(name="Cards"), Theme.objects.create(name="Refunds")
    second_problem = item_with_units("My card is lost. Also my refund is late.", ("My card is lost.", cards),
                                     ("Also my refund is late.", refunds))
    item_with_units("My refund is late.", ("My refund is late.", cards))

    assert found("refund", theme_id=refunds.pk) == [second_problem]


def test_it_filters_by_when_it_was_said_since_inclusive_until_exclusive():
    item("Refund please", days_ago=10)
    inside = item("Refund please", days_ago=5)
    item("Refund please", days_ago=2)

    assert found("refund", since=inside.occurred_at, until=NOW - dt.timedelta(days=3)) == [inside]


# --- Bad queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", '- -- "" OR ||| ( ) *', "😡🔥"])
def test_a_query_with_nothing_to_look_for_gets_a_message_and_no_items(query):
    item("Refund please")

    results = feedback_search(query=query)

    assert results.problem.startswith("Nothing to search for")
    assert results.hits == []


def test_exclusions_alone_get_a_message_rather_than_every_other_item():
    item("Refund please")

    results = feedback_search(query="-card")

    assert "-word only leaves items out" in results.problem
    assert results.hits == []


def test_a_query_of_ten_thousand_characters_is_searched_by_its_start_with_a_note():
    wanted = item("Refund please")

    results = feedback_search(query="refund " + "x" * 10_000)
    single_word = feedback_search(query="r" * 10_000)

    assert "first 500 characters" in results.notes[0]
    assert [hit.item for hit in results.hits] == []  # "refund" and a word of 493 x's: nothing has both
    assert feedback_search(query="refund " + "please " * 2_000).hits[0].item == wanted
    assert single_word.hits == []
    assert single_word.notes


@pytest.mark.parametrize(("text", "query"), [
    ("银行卡没到 请帮忙", "银行卡没到"),
    ("بطاقتي لم تصل بعد", "بطاقتي"),
    ("Моя карта не пришла", "карта"),
    ("Ma carte est bloquée", "bloquée"),
    ("Meine Überweisung fehlt", "überweisung"),
])
def test_words_in_any_alphabet_are_found(text, query):
    wanted = item(text)

    assert found(query) == [wanted]


@pytest.mark.parametrize("query", [
    "ничего", "没有", "🙂 card", "title:card", 'NEAR("a" "b")', "card*", "'); DROP TABLE feedback_feedbackitem;--",
    "a & b | !c <-> (d)", "\\", '"', "-", "OR OR OR", "\u202e\u200b", "card\x00", "\ud800",
])
def test_odd_queries_get_results_or_nothing_never_an_error(query):
    item("My card is blocked")

    results = feedback_search(query=query)

    assert results.problem or isinstance(results.hits, list)


# --- Unranked lists and the admin's matcher -----------------------------------------------------------


def test_the_newest_list_has_the_same_shape_without_ranks():
    older, newer = item("Refund please", days_ago=3), item("<b>Card</b> lost", days_ago=1)

    results = feedback_newest(per_page=2)

    assert [hit.item for hit in results.hits] == [newer, older]
    assert [hit.rank for hit in results.hits] == [None, None]
    assert results.hits[0].snippet_html == "&lt;b&gt;Card&lt;/b&gt; lost"


def test_the_matcher_narrows_any_queryset_and_matches_nothing_for_a_query_of_nothing():
    wanted = item("Apple pay failed")

    assert list(feedback_matching(items=FeedbackItem.objects.all(), query="apple pay")) == [wanted]
    assert not feedback_matching(items=FeedbackItem.objects.all(), query="-apple").exists()
