"""The PM's pages at scale: p95 of the ranked list and a theme's detail page over 1M items and 2,000 themes.

    python -m bench.pages [--items 1000000] [--themes 2000] [--accounts 20000] [--requests 40] [--rebuild]

Needs PostgreSQL: DATABASE_URL, or postgres://postgres@127.0.0.1:5432/voc_bench_pages, created when missing. The
data set is synthetic and shaped like real feedback: theme sizes follow a Zipf-like curve (the largest theme holds
about 5% of all items), account activity is heavy-tailed, a fifth of the items come from authors without an account,
and dates spread over 400 days; each item raises one problem (one FeedbackUnit in its theme, which is what the
ranking counts). Each theme stands for a BANKING77 intent (theme n for the n-th intent, round the 77 again and again),
and each item's text is a customer's text of its theme's intent, drawn seeded, so that a search for "apple pay" or
"card declined" finds as many items, as varied, as it would in real feedback (bench.search). It is loaded once with
COPY and reused by later runs of the same size (--rebuild loads it again).
The benchmark then times the tasks that keep the pages' snapshots (weekly trends, rankings) and requests each page
through Django's test client as a logged-in PM, the way a browser would, printing p50 and p95.
"""

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bench import django_setup, print_table

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/voc_bench_pages"
SOURCE_NAME = "bench-pages"
# (kind, reliability): the sources items arrive over, and how much each is trusted.
SOURCES = [("zendesk", 1.0), ("intercom", 1.0), ("survey", 0.8), ("reddit", 0.5), ("twitter", 0.4)]
SEGMENTS, TIERS = ["smb", "mid_market", "enterprise"], ["free", "starter", "growth", "enterprise"]
REGIONS = ["EMEA", "NA", "APAC", "LATAM"]
DAYS = 400
ANONYMOUS_SHARE = 0.2
# How item texts began before they came from BANKING77: such a data set is loaded again.
OLD_TEXT_PREFIX = "Feedback 0:"


def main() -> None:
    parser = data_set_parser(__doc__)
    parser.add_argument("--requests", type=int, default=40, help="requests per page kind (default 40)")
    args = parser.parse_args()
    data_set_ready(args, benchmark="bench.pages")

    from voc.ranking.services import rankings_refresh, weeks_refresh

    tasks = []
    for name, task in [("weekly trends, 12 weeks", lambda: weeks_refresh(weeks=12)),
                       ("weekly trends, 2 weeks (hourly)", lambda: weeks_refresh(weeks=2)),
                       ("rankings, 4 periods × every slice", rankings_refresh)]:
        started = time.perf_counter()
        rows = task()
        tasks.append([name, rows, time.perf_counter() - started])
    print("\nSnapshot tasks (run by beat; the pages read what they write)")
    print_table(["task", "rows written", "seconds"], tasks)

    print(f"\nPages, {args.requests} requests each, as a logged-in PM (ms)")
    print_table(["page", "p50", "p95", "max"], _pages(args))


def data_set_parser(doc: str) -> argparse.ArgumentParser:
    """The options of the synthetic data set, for every benchmark that reads it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--themes", type=int, default=2_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--rebuild", action="store_true", help="load the data set again even if it is there")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def data_set_ready(args, *, benchmark: str) -> None:
    """Set Django up on the benchmark's PostgreSQL database, migrated, with the data set loaded (once)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    _database_create(os.environ["DATABASE_URL"])
    django_setup()

    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit(f"{benchmark} measures the PostgreSQL deployment: point DATABASE_URL at PostgreSQL")
    call_command("migrate", verbosity=0)
    if args.rebuild or not _loaded(args):
        started = time.perf_counter()
        _load(args)
        print(f"loaded {args.items:,} items, {args.themes:,} themes, {args.accounts:,} accounts "
              f"in {time.perf_counter() - started:.0f} s")
    else:
        print(f"reusing the loaded data set ({args.items:,} items, {args.themes:,} themes)")


def _database_create(url: str) -> None:
    """Create the bench database on first use (PostgreSQL only)."""
    import psycopg
    from psycopg import sql

    if not url.startswith(("postgres://", "postgresql://")):
        return
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def feedback_truncate() -> None:
    """Empty the feedback tables (items and their units) of the benchmark's PostgreSQL database."""
    from django.db import connection

    from voc.feedback.models import FeedbackItem, FeedbackUnit

    # Not delete(): with units cascading from items, Django would load every item (a million here) to delete it.
    # The units' competitor tags go in the same statement: PostgreSQL refuses to truncate a table still referenced.
    tags = FeedbackUnit.competitors.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tags}, {FeedbackUnit._meta.db_table}, {FeedbackItem._meta.db_table}")


def _loaded(args) -> bool:
    from voc.feedback.models import FeedbackItem, Source
    from voc.themes.models import Theme

    source_ids = list(Source.objects.filter(name__startswith=SOURCE_NAME).values_list("pk", flat=True))
    items = FeedbackItem.objects.filter(source_id__in=source_ids)
    first_text = items.order_by("pk").values_list("text", flat=True).first()
    return (
        bool(source_ids)
        # Data sets loaded before the texts came from BANKING77 said "Feedback 0: the problem again, …".
        and first_text is not None and not first_text.startswith(OLD_TEXT_PREFIX)
        and items.count() == args.items
        and Theme.objects.count() == args.themes
    )


def _intent_texts() -> tuple[list[str], dict[str, list[str]]]:
    """(BANKING77's intents in a fixed order, each intent's texts), read as bench.themes reads the data set."""
    from types import SimpleNamespace

    from bench.themes.data import load_dataset

    texts, intents, _ = load_dataset(SimpleNamespace(csv=None, text_col="text", label_col=None))
    by_intent: dict[str, list[str]] = {}
    for text, intent in zip(texts, intents, strict=True):
        by_intent.setdefault(intent, []).append(" ".join(text.split()))
    return sorted(by_intent), by_intent


def _load(args) -> None:
    from django.db import connection, transaction

    from voc.accounts.models import Account
    from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
    from voc.feedback.search_schema import VECTOR_INDEX, VECTOR_INDEX_CREATE
    from voc.feedback.units import UNITS_VERSION
    from voc.ranking.models import ThemeRanking, ThemeWeek
    from voc.themes.models import ProductArea, Theme

    rng = np.random.default_rng(args.seed)
    table, unit_table = FeedbackItem._meta.db_table, FeedbackUnit._meta.db_table
    intents, texts_of_intent = _intent_texts()
    with transaction.atomic():
        feedback_truncate()
        for model in (ThemeRanking, ThemeWeek, Theme, ProductArea, Source, Account):
            model.objects.all().delete()
    sources = [
        Source.objects.create(name=f"{SOURCE_NAME} {kind}", kind=kind, reliability_weight=weight)
        for kind, weight in SOURCES
    ]
    areas = [ProductArea.objects.create(name=f"Area {n}", slug=f"area-{n}") for n in range(12)]
    arr = np.round(rng.lognormal(mean=10.5, sigma=1.4, size=args.accounts), 2)
    Account.objects.bulk_create(
        [
            Account(
                name=f"Account {n:05d}", arr=arr[n], plan_tier=TIERS[n % len(TIERS)],
                segment=SEGMENTS[rng.integers(len(SEGMENTS))], region=REGIONS[rng.integers(len(REGIONS))],
            )
            for n in range(args.accounts)
        ],
        batch_size=5000,
    )
    statuses = [choice for choice, _ in Theme.Status.choices]
    Theme.objects.bulk_create(
        [
            Theme(
                name=f"Theme {n:04d} / {intents[n % len(intents)].replace('_', ' ')}",
                keywords=intents[n % len(intents)].split("_"), size=0,
                status=statuses[rng.integers(len(statuses))], product_area=areas[n % len(areas)],
            )
            for n in range(args.themes)
        ],
        batch_size=1000,
    )
    account_ids = np.array(Account.objects.order_by("pk").values_list("pk", flat=True))
    theme_ids = np.array(Theme.objects.order_by("pk").values_list("pk", flat=True))

    # Who says what: themes by a Zipf-like curve, accounts by heavy-tailed activity independent of ARR.
    theme_weights = 1.0 / np.arange(1, len(theme_ids) + 1) ** 0.8
    theme_index = rng.choice(len(theme_ids), size=args.items, p=theme_weights / theme_weights.sum())
    themes = theme_ids[theme_index]
    activity = rng.pareto(1.2, size=len(account_ids)) + 1
    accounts = account_ids[rng.choice(len(account_ids), size=args.items, p=activity / activity.sum())]
    anonymous = rng.random(args.items) < ANONYMOUS_SHARE
    handles = rng.integers(0, args.items // 10 + 1, size=args.items)
    source_index = rng.integers(0, len(sources), size=args.items)
    now = datetime.now(UTC)
    seconds_ago = rng.integers(0, DAYS * 86_400, size=args.items)
    # Feedback mostly complains: about half negative, a third neutral (questions, reports), the rest positive.
    sentiments = rng.choice(["negative", "neutral", "positive"], size=args.items, p=[0.5, 0.35, 0.15])
    # What each says: a text of its theme's intent. A generator of its own, so the draws above stay as they were.
    pools = [texts_of_intent[intent] for intent in intents]
    pool_of_item = theme_index % len(intents)
    pick = np.random.default_rng(args.seed + 2).random(args.items)
    sizes = np.array([len(pool) for pool in pools])
    text_of_item = (pick * sizes[pool_of_item]).astype(np.int64)

    columns = [
        "source_id", "external_id", "kind", "title", "text", "text_truncated", "url", "author_email", "author_handle",
        "author_name", "account_id", "resolved_by", "occurred_at", "received_at", "language", "metadata",
        "content_hash", "status", "attempts", "last_error", "processed_at", "theme_id", "units_version", "sentiment",
    ]
    copy = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    # Items and their units land together: a load cut short leaves neither, and the next run loads it again.
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The full-text index is built once after the COPY rather than grown row by row (search_schema); its
            # generated column is computed as rows arrive either way. PostgreSQL changes no index of a table with
            # foreign-key checks pending, so they are made as each statement ends, not at the commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")
        with connection.cursor() as cursor, cursor.connection.cursor().copy(copy) as writer:
            # Oldest first, as feedback arrives: in a real table ids and pages follow time, and a query that walks
            # the newest items (the feedback list, search's candidates) reads neighbouring rows, not one page each.
            for n in map(int, np.argsort(-seconds_ago, kind="stable")):
                occurred = now - timedelta(seconds=int(seconds_ago[n]))
                is_anonymous = bool(anonymous[n])
                writer.write_row((
                    sources[source_index[n]].pk, f"p{n}", "ticket", "", pools[pool_of_item[n]][text_of_item[n]],
                    False, "", "", f"@user{handles[n]}" if is_anonymous else "", "",
                    None if is_anonymous else int(accounts[n]), "" if is_anonymous else "given", occurred, occurred,
                    "en", "{}", f"{n:064x}", "processed", 1, "", occurred, int(themes[n]), UNITS_VERSION,
                    str(sentiments[n]),
                ))
        with connection.cursor() as cursor:
            # Each item raises one problem here: one unit of its whole text in the item's theme (the ranking counts
            # units), as the migration to units made them. One INSERT … SELECT: 1M units take seconds, where a
            # second COPY from Python would take as long as the first.
            end = connection.ops.quote_name("end")
            cursor.execute(
                f"INSERT INTO {unit_table} (item_id, position, start, {end}, text, embedding_id, theme_id, "
                f"theme_similarity, theme_assigned_by, sentiment) "
                f"SELECT id, 0, 0, LENGTH(text), '', NULL, theme_id, 0.8, 'clustering', sentiment FROM {table}"
            )
            cursor.execute(VECTOR_INDEX_CREATE)
            cursor.execute(
                f"UPDATE {Theme._meta.db_table} t SET size = c.n, representative_unit_ids = c.ids FROM ("
                f"  SELECT theme_id, count(*) AS n, to_jsonb((array_agg(id ORDER BY id))[1:3]) AS ids"
                f"  FROM {unit_table} GROUP BY theme_id) c WHERE c.theme_id = t.id"
            )
    with connection.cursor() as cursor:
        # As autovacuum would soon: planner statistics for the tables just filled, and their rows marked visible, so
        # the first queries do not pay for setting hint bits on a million fresh rows. (Inside a test's transaction,
        # where VACUUM cannot run, the statistics only.)
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def _pages(args) -> list[list]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from voc.themes.models import Theme

    pm, _ = get_user_model().objects.get_or_create(
        username="bench-pm", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(pm)
    by_size = list(Theme.objects.order_by("-size").values_list("pk", flat=True))
    rng = np.random.default_rng(args.seed + 1)
    periods, sorts = ["30d", "90d", "180d", "365d"], ["rank", "-mentions", "-accounts", "-change", "theme", "-loudness"]
    pages = [
        ("ranked list, 90 days", args.requests, lambda n: "/admin/ranking/"),
        ("ranked list, any period, sort and page", args.requests,
         lambda n: f"/admin/ranking/?period={periods[n % 4]}&o={sorts[n % len(sorts)]}&page={1 + n % 3}"),
        ("ranked list, product area and status", args.requests,
         lambda n: f"/admin/ranking/?product_area=Area+{n % 12}&status=new"),
        ("ranked list, CSV export of all themes", max(args.requests // 4, 5),
         lambda n: "/admin/ranking/?export=csv"),
        ("ranked list, one filter on accounts or sources", args.requests,
         lambda n: "/admin/ranking/?" + [f"segment={SEGMENTS[n % 3]}", f"region={REGIONS[n % 4]}",
                                         f"source_kind={SOURCES[n % 5][0]}"][n % 3]),
        ("ranked list, two filters on accounts (computed live)", max(args.requests // 8, 3),
         lambda n: f"/admin/ranking/?segment={SEGMENTS[n % 3]}&region={REGIONS[n % 4]}"),
        ("theme detail, a random theme", args.requests, lambda n: f"/admin/ranking/{rng.choice(by_size)}/"),
        ("theme detail, the largest theme", args.requests, lambda n: f"/admin/ranking/{by_size[0]}/?page={1 + n}"),
    ]
    rows = []
    for name, count, url_of in pages:
        client.get(url_of(0))  # warm: the first request of a kind pays for imports and template loading
        timings = []
        for n in range(count):
            url = url_of(n)
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
        rows.append([name, statistics.median(timings), p95, timings[-1]])
    return rows


if __name__ == "__main__":
    main()
