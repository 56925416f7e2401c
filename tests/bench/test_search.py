"""bench.search on a tiny bench.pages data set: every row is measured through the selector the page uses, and the
queries find the BANKING77 texts their themes were given."""

from types import SimpleNamespace

import pytest

from bench.pages import _load
from bench.search import FILTER_KINDS, QUERIES, match_counts, search_measure

pytestmark = pytest.mark.services  # COPY and TRUNCATE: PostgreSQL only

DATA_SET = SimpleNamespace(items=400, themes=154, accounts=40, seed=0, rounds=1)


def test_it_times_each_kind_of_query_and_of_filter_and_the_page(db):
    _load(DATA_SET)

    rows = search_measure(DATA_SET)

    labels = [row[0] for row in rows]
    assert labels == [
        *dict.fromkeys(f"full-text: {kind}" for kind, _ in QUERIES), "full-text: every query",
        *(f"filtered full-text: {kind}" for kind in FILTER_KINDS), "filtered full-text: every filter",
        "/feedback/?q= whole page, test client",
    ]
    assert all(0 < p50 <= p95 <= longest for _, p50, p95, longest in rows)


def test_common_words_match_many_items_and_made_up_ones_none(db):
    _load(DATA_SET)

    counts = dict(match_counts())

    assert counts["card"] > DATA_SET.items // 10
    assert counts["chargeback"] == counts["银行卡没到"] == 0
