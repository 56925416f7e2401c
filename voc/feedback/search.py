"""Full-text search of feedback titles and texts: ranked, with highlighted snippets, narrowed by the list's filters.

The principle: match with an index, rank a bounded set, and do the costly text work only for the page shown.

1. Read the query (voc.feedback.search_syntax): words, "phrases", -exclusions, OR. The user's text never reaches the
   database's query syntax as typed; a query with nothing to look for gets a message, not an error or every item.
2. Match with the index each database keeps (voc.feedback.search_schema): websearch_to_tsquery against the stored,
   GIN-indexed tsvector on PostgreSQL; an FTS5 MATCH on SQLite. Stemmed, without stop words, on both.
3. Candidates: the newest CANDIDATES matches that pass the filters (theme, account, segment, source, dates,
   sentiment). Ranking every match is what does not scale: on the 1M-item bench data set "card" matches 32% of the
   items, and ranking all 320,626 took 290-370 ms, where ranking the newest 1,000 takes a few. So a query that
   matches more than CANDIDATES items is ranked among its newest CANDIDATES and says "1,000+": the way to the rest
   is another word or a filter, which a person looking through feedback adds anyway. Nothing is counted past the
   cap. On PostgreSQL the newest are looked for in widening windows of days (WINDOW_DAYS), which the index answers
   by itself since it holds each item's day: a common word stops after the last week, a rare one reads its few
   matches in a few cheap scans, and neither reads the table for every match it has.
4. Rank the candidates: ts_rank_cd (cover density: terms close together rank higher) on PostgreSQL, bm25 on SQLite,
   both with a title worth 2.5 times its text's words, as its summary; equal ranks newest first.
5. Only the page's rows get snippets: ts_headline and snippet() read each text again, which is the costly part.
   The database marks matches with two private-use characters; the text is HTML-escaped, then the marks become
   <mark> tags. Whatever a customer wrote, <script> included, stays text; a customer's own copy of the marker
   characters can at worst mark a few more words.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVectorField
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import DateField, Expression, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from voc.feedback.models import FeedbackItem
from voc.feedback.search_schema import CONFIG, FTS_TABLE, ITEM_DAY, VECTOR_COLUMN
from voc.feedback.search_syntax import ParsedQuery, search_query_parse
from voc.feedback.selectors import PREVIEW_CHARS, feedback_filter

CANDIDATES = 1_000
# How far back PostgreSQL looks for the newest candidates, window after window (then everything): each four times the
# last, so that a rare word costs a few cheap index scans and a common one a single one.
WINDOW_DAYS = (7, 30, 120, 480)
# Each result's snippet costs a second read of its text; 20 ranked results make a page people read to the end.
PAGE_SIZE = 20
# ts_rank_cd's weights for D, C, B (text) and A (title); SQLite's bm25 takes the same ratio, per column.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
BM25_TITLE, BM25_TEXT = 2.5, 1.0
# Divide a rank by 1 + the log of the text's length: a long call transcript that names a word once does not outrank
# a short ticket about it, nor does a short one win only for being short.
RANK_NORMALIZATION = 1
SNIPPET_WORDS = 30
MARK_START, MARK_END = "\ue000", "\ue001"
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.DOTALL)


@dataclass(frozen=True)
class SearchHit:
    """One item found: its rank (higher is better; None in a plain list) and its title and text as HTML, the matches
    in <mark>."""

    item: FeedbackItem
    rank: float | None
    title_html: SafeString
    snippet_html: SafeString


@dataclass(frozen=True)
class SearchResults:
    """A page of hits, how many matched (counted up to CANDIDATES), and what the query became on the way."""

    query: str  # as searched: the terms that counted, in the syntax people type; "" for a plain list
    page: Page  # its object_list holds SearchHit
    count: int
    capped: bool  # more than CANDIDATES matched; the hits are the best of the newest CANDIDATES
    notes: tuple[str, ...] = ()
    problem: str = ""  # why nothing was searched; there are no hits then

    @property
    def hits(self) -> list[SearchHit]:
        return list(self.page.object_list)

    @property
    def count_label(self) -> str:
        if self.capped:
            return f"{CANDIDATES:,}+ results, ranked among the newest {CANDIDATES:,}: add a word or a filter to narrow"
        return f"{self.count:,} result{'' if self.count == 1 else 's'}"


def feedback_search(*, query: str, page: int | str | None = 1, per_page: int = PAGE_SIZE, **filters) -> SearchResults:
    """Items matching a web-search query, best first, with snippets for one page; filters as feedback_filter's."""
    parsed = search_query_parse(query)
    if not parsed.searchable:
        return _results(parsed, [], page=page, per_page=per_page)
    backend = _backend(parsed)

    ranks, capped = backend.newest_ranked(
        feedback_filter(FeedbackItem.objects.all(), **filters), since=filters.get("since"), until=filters.get("until")
    )
    if not ranks and not backend.has_lexemes():
        return _results(parsed, [], page=page, per_page=per_page, problem=_NO_WORDS)
    results = _results(parsed, list(ranks), page=page, per_page=per_page, capped=capped)
    page_ids = list(results.page.object_list)
    _hits_fill(results.page, ranks=ranks, marked=backend.marked(page_ids))
    return results


def feedback_newest(*, page: int | str | None = 1, per_page: int = PAGE_SIZE, **filters) -> SearchResults:
    """The newest items that pass the filters (up to CANDIDATES of them), a page of them as unranked hits.

    What the API lists without a query: the same shape and bound as a search, and no count of a million rows.
    """
    newest = _newest_ids(feedback_filter(FeedbackItem.objects.all(), **filters))
    results = _results(search_query_parse(""), newest[:CANDIDATES], page=page, per_page=per_page,
                       capped=len(newest) > CANDIDATES)
    _hits_fill(results.page, ranks=None, marked={})
    return SearchResults(query="", page=results.page, count=results.count, capped=results.capped)


_NO_WORDS = 'Nothing to search for: the query holds no words the index keeps. Try other words or a "phrase".'


def _newest(items: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
    """The newest CANDIDATES + 1 items: one more than kept says that more matched."""
    return items.order_by("-occurred_at", "-id")[: CANDIDATES + 1]


def _newest_ids(items: QuerySet[FeedbackItem]) -> list[int]:
    return list(_newest(items.values_list("pk", flat=True)))


def _best_first(rows: Sequence[tuple[int, float, object]]) -> tuple[dict[int, float], bool]:
    """({id: rank} best first, equal ranks newest first; whether more matched) from (id, rank, occurred_at) rows
    of the newest CANDIDATES + 1 candidates, the oldest of which is only there to say that more matched."""
    newest_first = sorted(rows, key=lambda row: (row[2], row[0]), reverse=True)
    kept = newest_first[:CANDIDATES]
    recency = {row[0]: position for position, row in enumerate(kept)}
    ranked = sorted(kept, key=lambda row: (-row[1], recency[row[0]]))
    return {item_id: rank for item_id, rank, _ in ranked}, len(rows) > CANDIDATES


def _results(parsed: ParsedQuery, ranked: list[int], *, page, per_page: int, capped: bool = False,
             problem: str = "") -> SearchResults:
    return SearchResults(
        query=parsed.text,
        page=Paginator(ranked, per_page).get_page(page),
        count=len(ranked),
        capped=capped,
        notes=parsed.notes,
        problem=problem or parsed.problem,
    )


def _hits_fill(page: Page, *, ranks: dict[int, float] | None, marked: dict[int, tuple[str, str]]) -> None:
    """Swap the page's ids for hits: each item (text deferred), its rank, and its marked title and snippet (the
    title and the start of the text where the database marked none)."""
    page_ids = list(page.object_list)
    items = {
        item.pk: item
        for item in FeedbackItem.objects.filter(pk__in=page_ids)
        .select_related("source", "account")
        .defer("text", "metadata")
        .annotate(text_preview=Substr("text", 1, PREVIEW_CHARS))
    }
    hits = []
    for item_id in page_ids:
        item = items.get(item_id)
        if item is None:
            continue  # deleted since the ids were read
        title, snippet = marked.get(item_id, (item.title, item.text_preview))
        rank = None if ranks is None else ranks.get(item_id, 0.0)
        hits.append(SearchHit(item=item, rank=rank, title_html=_html(title), snippet_html=_html(snippet)))
    page.object_list = hits


def _html(marked: str) -> SafeString:
    """Text whose matches the database wrapped in MARK_START/MARK_END, as HTML: escaped, the matches in <mark>."""
    html = _MARKED.sub(r"<mark>\1</mark>", escape(marked))
    return mark_safe(html.replace(MARK_START, "").replace(MARK_END, ""))


class StoredVector(Expression):
    """The generated tsvector column (search_schema), which the model does not declare, of the query's own table."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        # The table's alias in this query: its own name, or U0 and the like when it runs as a subquery.
        alias = compiler.query.base_table
        return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(VECTOR_COLUMN)}", []


class ItemDay(Expression):
    """The day an item was said, in UTC, written as the full-text index holds it (search_schema.ITEM_DAY)."""

    output_field = DateField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        column = f"{table}.{connection.ops.quote_name('occurred_at')}"
        return ITEM_DAY.replace("occurred_at", column), []


class _PostgresSearch:
    def __init__(self, parsed: ParsedQuery):
        self.websearch = parsed.websearch
        self.tsquery = SearchQuery(self.websearch, search_type="websearch", config=CONFIG)

    def matching(self, items: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
        return items.alias(search_vector=StoredVector()).filter(search_vector=self.tsquery)

    def newest_ranked(self, items: QuerySet[FeedbackItem], *, since: datetime | None,
                      until: datetime | None) -> tuple[dict[int, float], bool]:
        # The newest matches are looked for in the last week first, then further back: the index holds each item's
        # day, so a window's matches are found without reading the others, and a thousand of them in a week end the
        # search. A window that starts before the `since` filter adds nothing to it and is skipped.
        anchor = (until or timezone.now()).astimezone(UTC).date()
        first_day = since.astimezone(UTC).date() if since else None
        for days in WINDOW_DAYS:
            start = anchor - timedelta(days=days)
            if first_day is not None and start <= first_day:
                break
            rows = self._ranked_rows(items.alias(item_day=ItemDay()).filter(item_day__gte=start))
            if len(rows) > CANDIDATES:
                return _best_first(rows)
        return _best_first(self._ranked_rows(items))

    def _ranked_rows(self, items: QuerySet[FeedbackItem]) -> list[tuple[int, float, datetime]]:
        # One statement: the candidates' vectors are ranked as the candidates are read, where ranking them by id
        # afterwards would visit the same thousand rows of the table a second time. The rank sits outside the
        # subquery so that it is computed for the candidates only, never for every match the LIMIT cuts.
        candidates = _newest(self.matching(items).annotate(vector=StoredVector()).values_list("pk", "occurred_at",
                                                                                              "vector"))
        sql, params = candidates.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, ts_rank_cd(%s::float4[], c.vector, websearch_to_tsquery(%s::regconfig, %s), %s), "
                f"c.occurred_at FROM ({sql}) AS c (id, occurred_at, vector)",
                [RANK_WEIGHTS, CONFIG, self.websearch, RANK_NORMALIZATION, *params],
            )
            return cursor.fetchall()

    def marked(self, item_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        marks = {"start_sel": MARK_START, "stop_sel": MARK_END, "config": CONFIG}
        rows = (
            FeedbackItem.objects.filter(pk__in=item_ids)
            .annotate(
                title_marked=SearchHeadline("title", self.tsquery, highlight_all=True, **marks),
                text_marked=SearchHeadline(
                    # short_word=0: a fragment may start on "My" or "I"; by default words of up to 3 letters are
                    # trimmed off its ends.
                    "text", self.tsquery, max_words=SNIPPET_WORDS, min_words=SNIPPET_WORDS // 2, max_fragments=2,
                    short_word=0, fragment_delimiter=" … ", **marks,
                ),
            )
            .values_list("pk", "title_marked", "text_marked")
        )
        return {item_id: (title, text) for item_id, title, text in rows}

    def has_lexemes(self) -> bool:
        # A query can hold letters yet no word the parser indexes (a lone combining mark, say): it matches nothing,
        # and the person should hear why rather than see "0 results".
        with connection.cursor() as cursor:
            cursor.execute("SELECT numnode(websearch_to_tsquery(%s::regconfig, %s)) > 0",
                           [CONFIG, self.websearch])
            return cursor.fetchone()[0]


class _SqliteSearch:
    def __init__(self, parsed: ParsedQuery):
        self.match = parsed.fts5_match

    def matching(self, items: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
        found = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [self.match])
        return items.filter(pk__in=found)

    def newest_ranked(self, items: QuerySet[FeedbackItem], *, since: datetime | None,
                      until: datetime | None) -> tuple[dict[int, float], bool]:
        newest = list(_newest(self.matching(items).values_list("pk", "occurred_at")))
        # bm25 is lower for better matches; negated, so that higher is better on both databases.
        ranks = dict(self._rows(f"-bm25({FTS_TABLE}, {BM25_TITLE}, {BM25_TEXT})", [item_id for item_id, _ in newest]))
        return _best_first([(item_id, ranks.get(item_id, 0.0), occurred) for item_id, occurred in newest])

    def marked(self, item_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        rows = self._rows(
            f"highlight({FTS_TABLE}, 0, %s, %s), snippet({FTS_TABLE}, 1, %s, %s, ' … ', {SNIPPET_WORDS})", item_ids,
            params=[MARK_START, MARK_END, MARK_START, MARK_END],
        )
        return {item_id: (title, text) for item_id, title, text in rows}

    def has_lexemes(self) -> bool:
        return True  # FTS5 reads the quoted terms; what it cannot index simply matches nothing

    def _rows(self, columns: str, item_ids: Sequence[int], *, params: Sequence = ()) -> list[tuple]:
        if not item_ids:
            return []
        placeholders = ", ".join(["%s"] * len(item_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, {columns} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({placeholders})",
                [*params, self.match, *item_ids],
            )
            return cursor.fetchall()


def feedback_matching(*, items: QuerySet[FeedbackItem], query: str) -> QuerySet[FeedbackItem]:
    """The items whose title or text match a web-search query, unranked; none when the query searches nothing."""
    parsed = search_query_parse(query)
    if not parsed.searchable:
        return items.none()
    return _backend(parsed).matching(items)


def _backend(parsed: ParsedQuery) -> "_PostgresSearch | _SqliteSearch":
    return _PostgresSearch(parsed) if connection.vendor == "postgresql" else _SqliteSearch(parsed)
