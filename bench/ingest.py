"""Throughput of the ingest service, of processing (account resolution) and of a connector sync, on the database.

    python -m bench.ingest [--items 20000] [--batch 500] [--connector-items 100000]

The connector sync runs `source_sync` for a Zendesk source against a local fake of the incremental export
(bench/fake_zendesk.py, pages of 1,000 tickets, no pacing) and checks that every ticket was stored exactly once;
`--connector-items 0` skips it. Processing is queued but not run there, as for the ingest rows. Set DATABASE_URL
to measure PostgreSQL; the default is the embedded SQLite file. The benchmark's sources and items are deleted
afterwards, with the vectors processing cached for their texts. Processing embeds each text too (about 40 items/s
on 2 cores), so a default run spends most of its time there; `--items 2000` keeps it short.
"""

import argparse
import os
import time
from collections import defaultdict
from unittest import mock

from bench import django_setup, print_table
from bench.fake_zendesk import FakeZendesk

TOKEN_ENV = "VOC_BENCH_ZENDESK_TOKEN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--connector-items", type=int, default=100_000, help="tickets to sync; 0 skips the sync")
    args = parser.parse_args()
    os.environ.setdefault(TOKEN_ENV, "bench-token")  # the fake server wants basic auth, like Zendesk
    django_setup()

    from django.core.management import call_command
    from django.db import connection

    from voc.accounts.models import Account, AccountDomain, Contact
    from voc.feedback.models import FeedbackItem, Source
    from voc.feedback.pipeline import feedback_process
    from voc.feedback.services import feedback_ingest_batch
    from voc.feedback.tasks import feedback_process_task

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
            "text": f"My card payment was declined again, attempt {n}",
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

            started = time.perf_counter()
            for item_ids in queued:
                feedback_process(item_ids=item_ids)
            process_s = time.perf_counter() - started

            started = time.perf_counter()
            feedback_ingest_batch(source=source, records=records[: args.batch])
            duplicate_s = time.perf_counter() - started

        stored = FeedbackItem.objects.filter(source=source)
        keys = set(stored.values_list("external_id", flat=True))
        rows = [
            ["ingest (validate, dedupe, insert)", args.items, ingest_s, args.items / ingest_s],
            ["process (resolve accounts, embed)", args.items, process_s, args.items / process_s],
            ["re-send one batch (all duplicates)", args.batch, duplicate_s, args.batch / duplicate_s],
        ]
        checks = [
            f"stored {stored.count():,} items, keys match: {keys == {r['external_id'] for r in records}}, "
            f"processed {stored.filter(status='processed').count():,}, "
            f"resolved {stored.filter(account__isnull=False).count():,}"
        ]
        if args.connector_items:
            connector_rows, connector_check = connector_sync_measure(tickets=args.connector_items)
            rows += connector_rows
            checks.append(connector_check)
        print(f"database: {connection.vendor}; {args.items:,} items in batches of {args.batch}"
              + (f"; connector sync of {args.connector_items:,} tickets in pages of 1,000" if args.connector_items
                 else "") + "\n")
        print_table(["step", "items", "seconds", "items/s"], rows)
        print("\n" + "\n".join(checks))
    finally:
        bench_data_delete()


def bench_data_delete() -> None:
    """The bench's source, items, accounts and contacts, and the vectors processing cached for its texts."""
    from voc.accounts.models import Account, Contact
    from voc.feedback.models import FeedbackItem, Source
    from voc.themes.models import Embedding

    items = FeedbackItem.objects.filter(source__name="bench")
    embedding_ids = set(items.exclude(embedding=None).values_list("embedding_id", flat=True))
    items.delete()
    Source.objects.filter(name="bench").delete()
    # Left cached, they would make the next run's processing skip the model.
    Embedding.objects.filter(pk__in=embedding_ids, items__isnull=True).delete()
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
    rows = [
        ["connector sync (Zendesk export, local fake server)", tickets, total_s, tickets / total_s],
        ["  fetch + parse (HTTP, JSON, map to records)", tickets, seconds["fetch"], tickets / seconds["fetch"]],
        ["  store (ingest page + cursor, one transaction)", tickets, seconds["store"], tickets / seconds["store"]],
    ]
    return rows, check


if __name__ == "__main__":
    main()
