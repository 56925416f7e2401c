"""The web-search syntax, read in Python: what each database is handed, and what a query with nothing in it says."""

import pytest

from voc.feedback.search_syntax import MAX_QUERY_CHARS, MAX_TERMS, Alternative, search_query_parse


def test_words_are_all_required_and_a_quoted_phrase_is_one_term():
    parsed = search_query_parse('card "apple pay"  declined')

    assert parsed.alternatives == (Alternative(("card", "apple pay", "declined")),)
    assert parsed.websearch == '"card" "apple pay" "declined"'
    assert parsed.fts5_match == '("card" AND "apple pay" AND "declined")'


def test_a_minus_excludes_the_word_or_phrase_it_is_glued_to():
    parsed = search_query_parse('"top up" -failed -"not working" e-mail')

    assert parsed.alternatives == (Alternative(("top up", "e-mail"), ("failed", "not working")),)
    assert parsed.websearch == '"top up" "e-mail" -"failed" -"not working"'
    assert parsed.fts5_match == '(("top up" AND "e-mail") NOT ("failed" OR "not working"))'


def test_or_in_capitals_separates_alternatives_and_binds_looser_than_and():
    parsed = search_query_parse("refund OR chargeback late")

    assert parsed.alternatives == (Alternative(("refund",)), Alternative(("chargeback", "late")))
    assert parsed.websearch == '"refund" OR "chargeback" "late"'
    assert parsed.fts5_match == '("refund") OR ("chargeback" AND "late")'


def test_or_in_small_letters_is_a_word():
    assert search_query_parse('refund or "or"').alternatives == (Alternative(("refund", "or")),)


def test_common_words_typed_without_quotes_are_skipped_but_particles_and_negations_count():
    assert search_query_parse("How do I get a refund for my card?").alternatives == (
        Alternative(("get", "refund", "card?")),
    )
    assert search_query_parse("top up not working").alternatives == (Alternative(("top", "up", "not", "working")),)


def test_common_words_count_when_quoted_or_when_nothing_else_is_typed():
    assert search_query_parse('"the app" is slow').alternatives == (Alternative(("the app", "slow")),)
    assert search_query_parse("the who").alternatives == (Alternative(("the", "who")),)


def test_a_quote_left_open_runs_to_the_end():
    assert search_query_parse('"apple pay failed').alternatives == (Alternative(("apple pay failed",)),)


def test_query_syntax_of_either_database_is_only_words_inside_quotes():
    parsed = search_query_parse("title:apple NEAR(a b) pay* a&b|!c <-> ');DROP TABLE x;--")

    assert parsed.searchable
    assert parsed.fts5_match.count('"') == 2 * sum(len(a.included) + len(a.excluded) for a in parsed.alternatives)
    assert all('"' not in term for alternative in parsed.alternatives for term in alternative.included)


@pytest.mark.parametrize("query", ["", "   ", "OR", '- -- "" OR ||| *** ( )', "😡😡", "\x00\x01"])
def test_a_query_with_nothing_to_look_for_says_so(query):
    parsed = search_query_parse(query)

    assert not parsed.searchable
    assert parsed.problem.startswith("Nothing to search for")


def test_exclusions_alone_ask_for_a_word_to_look_for():
    parsed = search_query_parse('-refund -"top up"')

    assert not parsed.searchable
    assert "-word only leaves items out" in parsed.problem


def test_an_alternative_of_exclusions_only_is_left_out_with_a_note():
    parsed = search_query_parse("refund OR -chargeback")

    assert parsed.alternatives == (Alternative(("refund",)),)
    assert "only of -exclusions" in parsed.notes[0]


def test_a_long_query_is_cut_with_a_note():
    parsed = search_query_parse("card " * 2_000)

    assert parsed.searchable
    assert sum(len(alternative.included) for alternative in parsed.alternatives) == MAX_TERMS
    assert parsed.notes == (
        f"Only the first {MAX_QUERY_CHARS} characters of the query were searched.",
        f"Only the first {MAX_TERMS} words and phrases were searched.",
    )


def test_a_single_word_of_ten_thousand_characters_is_cut_to_the_limit():
    parsed = search_query_parse("a" * 10_000)

    assert parsed.alternatives == (Alternative(("a" * MAX_QUERY_CHARS,)),)


def test_control_characters_and_lone_surrogates_never_reach_the_database():
    parsed = search_query_parse("apple\x00pay \ud800card\tdeclined")

    assert parsed.alternatives == (Alternative(("apple", "pay", "card", "declined")),)


@pytest.mark.parametrize(("query", "terms"), [
    ("银行卡没到", ("银行卡没到",)),
    ("بطاقتي لم تصل", ("بطاقتي", "لم", "تصل")),
    ("карта не пришла", ("карта", "не", "пришла")),
    ("café 😡", ("café",)),
])
def test_words_in_any_alphabet_are_terms(query, terms):
    assert search_query_parse(query).alternatives == (Alternative(terms),)


def test_the_query_as_searched_reads_as_typed():
    assert search_query_parse('  card   "apple  pay" -x OR y ').text == 'card "apple pay" -x OR y'
