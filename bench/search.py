"""Search at scale: full-text search, plain and filtered, and "more like this", over bench.pages' 1M items.

    python -m bench.search [--items 1000000] [--themes 2000] [--accounts 20000] [--rounds 3] [--requests 40]
                           [--no-similar] [--rebuild]

Needs PostgreSQL, like bench.pages, whose data set it loads (or reuses): items whose texts are BANKING77 customers'
texts of their theme's intent, so a query matches as many items as it would in real feedback, from "fiat" (a few
thousand) to "card" (about a quarter of them). Each query goes through voc.feedback.search.feedback_search, the
selector behind /feedback/?q=, the admin's search box and GET /api/v1/feedback?q=, first page and snippets included:
`--rounds` times each, alone and under each kind of filter (an account, a segment, a theme, the last 30 days, negative
sentiment, three together), with a fresh filter value each round. A few whole pages are requested through Django's
test client as a logged-in PM too. Then "more like this" is timed by bench.similar.similar_measure on the same data
set (it embeds the units once, builds the index and reports its recall@10 against an exact scan). Each row prints
p50, p95 and max in milliseconds; nothing asserts on time.
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bench import print_table
from bench.pages import SEGMENTS, data_set_parser, data_set_ready

# (kind of query, query): what PMs type, from a word in a quarter of the items to one in none.
QUERIES = [
    ("common word", "card"),
    ("common word", "money"),
    ("common word", "account"),
    ("two words", "apple pay"),
    ("two words", "card declined"),
    ("two words", "exchange rate"),
    ("phrase and exclusion", '"top up" -failed'),
    ("phrase and exclusion", '"exchange rate" -cash'),
    ("rare word", "fiat"),
    ("rare word", "contactless"),
    ("rare word", "passcode"),
    ("a question", "why is my transfer still pending"),
    ("a question", "when will my new card arrive"),
    ("alternatives", "refund OR reverted"),
    ("no match", "chargeback"),
    ("no match", "银行卡没到"),
]
FILTER_KINDS = ["an account", "a segment", "a theme", "the last 30 days", "negative sentiment",
                "segment, negative, last 90 days"]


def main() -> None:
    parser = data_set_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="times each query runs per row (default 3)")
    parser.add_argument("--requests", type=int, default=40, help="'more like this' lookups per kind (default 40)")
    parser.add_argument("--no-similar", action="store_true", help="time full-text search only")
    args = parser.parse_args()
    data_set_ready(args, benchmark="bench.search")

    print("\nMatches per query (all items; a search ranks the newest 1,000 of them)")
    print_table(["query", "matches"], match_counts())

    rows = search_measure(args)
    recall = None
    if not args.no_similar:
        from bench.similar import similar_measure  # another helper's module: embeds 1M units, so only when asked

        similar_rows, recall = similar_measure(args)
        rows += similar_rows
    print(f"\nSearch on {args.items:,} items (ms): full-text through feedback_search, first page with snippets")
    print_table(["search", "p50", "p95", "max"], rows)
    if recall is not None:
        print(f"ANN recall@10: {recall:.3f}")


def match_counts() -> list[list]:
    """How many items each query matches in all (counted once here; the search itself never counts past 1,000)."""
    from voc.feedback.models import FeedbackItem
    from voc.feedback.search import feedback_matching

    return [[query, feedback_matching(items=FeedbackItem.objects.all(), query=query).count()] for _, query in QUERIES]


def search_measure(args) -> list[list]:
    """Rows [label, p50 ms, p95 ms, max ms] for full-text search, by kind of query and by kind of filter."""
    from voc.feedback.search import feedback_search

    rng = np.random.default_rng(args.seed + 4)
    filter_values = _filter_values(rng)
    for _, query in QUERIES:
        feedback_search(query=query)  # warm: imports, the planner's first look, the index's pages in memory

    by_kind: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for kind, query in QUERIES:
            by_kind.setdefault(kind, []).append(_timed(lambda query=query: feedback_search(query=query)))
    rows = [[f"full-text: {kind}", *_percentiles(timings)] for kind, timings in by_kind.items()]
    rows.append(["full-text: every query", *_percentiles([t for timings in by_kind.values() for t in timings])])

    filtered_all = []
    for filter_kind in FILTER_KINDS:
        timings = []
        for _ in range(args.rounds):
            for _, query in QUERIES:
                filters = filter_values(filter_kind)
                timings.append(_timed(lambda query=query, filters=filters: feedback_search(query=query, **filters)))
        rows.append([f"filtered full-text: {filter_kind}", *_percentiles(timings)])
        filtered_all += timings
    rows.append(["filtered full-text: every filter", *_percentiles(filtered_all)])
    rows.append(["/feedback/?q= whole page, test client", *_percentiles(_pages_timed(args))])
    return rows


def _filter_values(rng):
    """A function giving, for a kind of filter, feedback_search's filter arguments with a fresh random value."""
    from django.db.models import Count

    from voc.accounts.models import Account
    from voc.themes.models import Theme

    account_ids = np.array(Account.objects.filter(feedback_items__isnull=False).distinct().values_list("pk", flat=True))
    theme_ids = np.array(Theme.objects.annotate(n=Count("units")).filter(n__gt=0).values_list("pk", flat=True))
    now = datetime.now(UTC)

    def values(kind: str) -> dict:
        segment = SEGMENTS[rng.integers(len(SEGMENTS))]
        return {
            "an account": {"account_id": int(rng.choice(account_ids))},
            "a segment": {"segment": segment},
            "a theme": {"theme_id": int(rng.choice(theme_ids))},
            "the last 30 days": {"since": now - timedelta(days=30)},
            "negative sentiment": {"sentiment": "negative"},
            "segment, negative, last 90 days": {"segment": segment, "sentiment": "negative",
                                                "since": now - timedelta(days=90)},
        }[kind]

    return values


def _pages_timed(args) -> list[float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    pm, _ = get_user_model().objects.get_or_create(
        username="bench-pm", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(pm)
    client.get("/feedback/", {"q": "card"})  # warm: templates
    timings = []
    for _ in range(args.rounds):
        for _, query in QUERIES:
            started = time.perf_counter()
            response = client.get("/feedback/", {"q": query})
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"/feedback/?q={query} answered {response.status_code}")
    return timings


def _timed(search) -> float:
    started = time.perf_counter()
    search()
    return (time.perf_counter() - started) * 1000


def _percentiles(timings: list[float]) -> list[float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return [statistics.median(ordered), p95, ordered[-1]]


if __name__ == "__main__":
    main()
