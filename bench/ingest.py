"""Throughput of the ingest service, of processing (split, embed, resolve, assign) and of a connector sync.

    python -m bench.ingest [--items 20000] [--batch 500] [--problems 1] [--connector-items 100000]

Processing cuts each item into units (voc.feedback.units), one per problem it raises, and embeds each unit, so it is
reported per item and per unit; `--problems N` (1 to 4) makes every item raise N problems, in sentences the splitter
keeps apart, and so N units. The encoder's own rate (texts it embedded per second of model time) is printed beside
it; the model is loaded before the clock starts, as a worker loads it once.

The connector sync runs `source_sync` for a Zendesk source against a local fake of the incremental export
(bench/fake_zendesk.py, pages of 1,000 tickets, no pacing) and checks that every ticket was stored exactly once;
`--connector-items 0` skips it. Processing is queued but not run there, as for the ingest rows. Set DATABASE_URL
to measure PostgreSQL; the default is the embedded SQLite file. The benchmark's sources and items are deleted
afterwards, with the vectors processing cached for their texts. A default run spends most of its time embedding;
`--items 2000` keeps it short.
"""

import argparse
import os
import time
from collections import defaultdict
from unittest import mock

from bench import django_setup, print_table
from bench.fake_zendesk import FakeZendesk

TOKEN_ENV = "VOC_BENCH_ZENDESK_TOKEN"
# The problems an item raises, in order; each opens a unit of its own (the connectives announce a new problem), and
# each names the item's number, so that no two units share a text and every one is embedded.
PROBLEMS = [
    "My card payment was declined again, attempt {n}",
    "Also, the CSV export of report {n} times out after a minute",
    "Separately, the SSO login loops on Safari for user {n}",
    "Another thing: the invoice PDF number {n} shows the wrong VAT rate",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--problems", type=int, default=1, choices=range(1, len(PROBLEMS) + 1),
                        help="problems (units) each item raises (default 1)")
    parser.add_argument("--connector-items", type=int, default=100_000, help="tickets to sync; 0 skips the sync")
    args = parser.parse_args()
    os.environ.setdefault(TOKEN_ENV, "bench-token")  # the fake server wants basic auth, like Zendesk
    django_setup()

    from django.core.management import call_command
    from django.db import connection

    from voc.accounts.models import Account, AccountDomain, Contact
    from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
    from voc.feedback.pipeline import feedback_process
    from voc.feedback.services import feedback_ingest_batch
    from voc.feedback.tasks import feedback_process_task
    from voc.themes.embedding import Encoder, encoder_get

    call_command("migrate", verbosity=0)
    bench_data_delete()  # what an interrupted run left
    source = Source.objects.create(name="bench", kind=Source.Kind.ZENDESK)
    for n in range(200):
        account = Account.objects.create(name=f"bench {n}")
        AccountDomain.objects.create(account=account, domain=f"bench{n}.example")
        Contact.objects.create(account=account, email=f"known{n}@bench{n}.example")
    records = [
        {
            "external_id": f"bench-{n}",
            "text": ". ".join(problem.format(n=n) for problem in PROBLEMS[: args.problems]),
            # A third known contacts, a third by domain, a third unresolved (public provider).
            "author_email": [f"known{n % 200}@bench{n % 200}.example", f"new{n}@bench{n % 200}.example",
                             f"someone{n}@gmail.com"][n % 3],
        }
        for n in range(args.items)
    ]

    try:
        # Queueing is measured apart from the work it triggers: collect the ids instead of running tasks.
        queued: list[list[int]] = []
        with mock.patch.object(feedback_process_task, "delay", side_effect=queued.append):
            started = time.perf_counter()
            for start in range(0, len(records), args.batch):
                feedback_ingest_batch(source=source, records=records[start : start + args.batch])
            ingest_s = time.perf_counter() - started

            encoder_get().encode(["warm up"])  # loading the model takes seconds, once per worker process
            encoded = {"texts": 0, "seconds": 0.0}
            with mock.patch.object(Encoder, "encode", _timed_encode(Encoder.encode, encoded)):
                started = time.perf_counter()
                for item_ids in queued:
                    feedback_process(item_ids=item_ids)
                process_s = time.perf_counter() - started

            started = time.perf_counter()
            feedback_ingest_batch(source=source, records=records[: args.batch])
            duplicate_s = time.perf_counter() - started

        stored = FeedbackItem.objects.filter(source=source)
        keys = set(stored.values_list("external_id", flat=True))
        units = FeedbackUnit.objects.filter(item__source=source).count()
        rows = [
            ["ingest (validate, dedupe, insert)", args.items, "", ingest_s, args.items / ingest_s, ""],
            ["process (split, embed, resolve, assign)", args.items, units, process_s, args.items / process_s,
             units / process_s],
            ["re-send one batch (all duplicates)", args.batch, "", duplicate_s, args.batch / duplicate_s, ""],
        ]
        checks = [
            f"stored {stored.count():,} items, keys match: {keys == {r['external_id'] for r in records}}, "
            f"processed {stored.filter(status='processed').count():,} into {units:,} units "
            f"({units / max(args.items, 1):.2f} per item, {args.problems} expected), "
            f"resolved {stored.filter(account__isnull=False).count():,}",
            f"encoder: {encoded['texts']:,} texts in {encoded['seconds']:.1f} s of model time, "
            f"{encoded['texts'] / max(encoded['seconds'], 1e-9):,.1f} texts/s "
            f"({100 * encoded['seconds'] / process_s:.0f}% of processing)",
        ]
        if args.connector_items:
            connector_rows, connector_check = connector_sync_measure(tickets=args.connector_items)
            rows += connector_rows
            checks.append(connector_check)
        print(f"database: {connection.vendor}; {args.items:,} items of {args.problems} problem(s) each in batches of "
              f"{args.batch}"
              + (f"; connector sync of {args.connector_items:,} tickets in pages of 1,000" if args.connector_items
                 else "") + "\n")
        print_table(["step", "items", "units", "seconds", "items/s", "units/s"], rows)
        print("\n" + "\n".join(checks))
    finally:
        bench_data_delete()


def _timed_encode(encode, totals: dict):
    """Encoder.encode, adding the texts it embeds and the seconds it takes to `totals`."""

    def timed(self, texts):
        started = time.perf_counter()
        try:
            return encode(self, texts)
        finally:
            totals["texts"] += len(texts)
            totals["seconds"] += time.perf_counter() - started

    return timed


def bench_data_delete() -> None:
    """The bench's source, items, accounts and contacts, and the vectors processing cached for its texts."""
    from voc.accounts.models import Account, Contact
    from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
    from voc.themes.models import Embedding

    items = FeedbackItem.objects.filter(source__name="bench")
    embedding_ids = set(
        FeedbackUnit.objects.filter(item__in=items, embedding__isnull=False).values_list("embedding_id", flat=True)
    )
    items.delete()  # their units go with them
    Source.objects.filter(name="bench").delete()
    # Left cached, they would make the next run's processing skip the model; a vector another unit uses stays.
    Embedding.objects.filter(pk__in=embedding_ids, units__isnull=True).delete()
    Account.objects.filter(name__startswith="bench ").delete()  # their domains go with them
    Contact.objects.filter(email__regex=r"@bench\d+\.example$").delete()  # kept by SET_NULL otherwise


def connector_sync_measure(*, tickets: int) -> tuple[list[list], str]:
    """Sync a Zendesk source from the fake export; table rows (total, fetch, store) and the exactly-once check."""
    from datetime import UTC, datetime

    from ingest import sync
    from voc.feedback.models import FeedbackItem, Source, SyncRun
    from voc.feedback.tasks import feedback_process_task

    name = "bench-zendesk"
    FeedbackItem.objects.filter(source__name=name).delete()
    Source.objects.filter(name=name).delete()
    seconds: dict[str, float] = defaultdict(float)

    def timed(step: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[step] += time.perf_counter() - started

        return wrapper

    with FakeZendesk(tickets=tickets) as zendesk:
        source = Source.objects.create(
            name=name, kind=Source.Kind.ZENDESK,
            settings={"subdomain": "bench", "email": "bot@bench.example", "token_env": TOKEN_ENV,
                      "base_url": zendesk.url, "requests_per_minute": 0},
        )
        try:
            queued: list[list[int]] = []
            with (
                mock.patch.object(feedback_process_task, "delay", side_effect=queued.append),
                mock.patch.object(sync, "_fetch", timed("fetch", sync._fetch)),
                mock.patch.object(sync, "_store", timed("store", sync._store)),
            ):
                started = time.perf_counter()
                run = sync.source_sync(source_id=source.pk, since=datetime.fromtimestamp(1_762_000_000, UTC))
                total_s = time.perf_counter() - started
            stored = FeedbackItem.objects.filter(source=source)
            count = stored.count()
            keys_match = set(stored.values_list("external_id", flat=True)) == zendesk.external_ids()
            intact = count == tickets and keys_match and run.status == SyncRun.Status.DONE
            check = (
                f"connector sync: run {run.status}, {run.pages} pages ({zendesk.requests} requests), stored {count:,} "
                f"of {tickets:,} tickets, keys match: {keys_match}, lost or doubled: {'none' if intact else 'YES'}, "
                f"queued for processing {sum(len(ids) for ids in queued):,} (not run)\n"
                f"connector sync time: fetch + parse {seconds['fetch']:.1f} s (of which the fake server making pages "
                f"{zendesk.serve_s:.1f} s), store {seconds['store']:.1f} s, "
                f"other {total_s - seconds['fetch'] - seconds['store']:.1f} s"
            )
        finally:
            FeedbackItem.objects.filter(source=source).delete()
            source.delete()
    # Units are cut when items are processed, which the sync only queues: no unit columns here.
    rows = [
        ["connector sync (Zendesk export, local fake server)", tickets, "", total_s, tickets / total_s, ""],
        ["  fetch + parse (HTTP, JSON, map to records)", tickets, "", seconds["fetch"], tickets / seconds["fetch"], ""],
        ["  store (ingest page + cursor, one transaction)", tickets, "", seconds["store"], tickets / seconds["store"],
         ""],
    ]
    return rows, check


if __name__ == "__main__":
    main()
