"""Throughput of the ingest service and of processing (account resolution), on the configured database.

    python -m bench.ingest [--items 20000] [--batch 500]

Set DATABASE_URL to measure PostgreSQL; the default is the embedded SQLite file. The benchmark's source and
items are deleted afterwards. Embedding is not part of processing yet.
"""

import argparse
import time
from unittest import mock

from bench import django_setup, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    django_setup()

    from django.core.management import call_command
    from django.db import connection

    from voc.accounts.models import Account, AccountDomain, Contact
    from voc.feedback.models import FeedbackItem, Source
    from voc.feedback.services import feedback_ingest_batch, feedback_process
    from voc.feedback.tasks import feedback_process_task

    call_command("migrate", verbosity=0)
    Source.objects.filter(name="bench").delete()
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
        print(f"database: {connection.vendor}; {args.items:,} items in batches of {args.batch}\n")
        print_table(
            ["step", "items", "seconds", "items/s"],
            [
                ["ingest (validate, dedupe, insert)", args.items, ingest_s, args.items / ingest_s],
                ["process (resolve accounts)", args.items, process_s, args.items / process_s],
                ["re-send one batch (all duplicates)", args.batch, duplicate_s, args.batch / duplicate_s],
            ],
        )
        print(
            f"\nstored {stored.count():,} items, keys match: {keys == {r['external_id'] for r in records}}, "
            f"processed {stored.filter(status='processed').count():,}, "
            f"resolved {stored.filter(account__isnull=False).count():,}"
        )
    finally:
        FeedbackItem.objects.filter(source=source).delete()
        source.delete()
        Account.objects.filter(name__startswith="bench ").delete()


if __name__ == "__main__":
    main()
