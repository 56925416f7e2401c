"""Sync a connector source now, in this process, with a progress bar: a backfill, or a sync on demand."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from ingest.sync import source_sync
from voc.feedback.models import Source, SyncRun


class Command(BaseCommand):
    help = "Sync one connector source from its saved cursor, or from --since (a backfill)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the source's name or id")
        parser.add_argument("--since", help="backfill from this date (YYYY-MM-DD, UTC) instead of the saved cursor")

    def handle(self, *args, source, since, **options):
        found = Source.objects.filter(pk=int(source)) if source.isdigit() else Source.objects.filter(name=source)
        found = found.first()
        if found is None:
            names = ", ".join(Source.objects.order_by("name").values_list("name", flat=True)) or "none yet"
            raise CommandError(f"no source {source!r}; sources: {names}")
        start = _date(since) if since else None

        with tqdm(desc=f"sync {found.name}", unit="page") as bar:

            def progress(done):
                bar.update(done.pages - bar.n)
                bar.set_postfix(new=done.items_new, updated=done.items_updated, failed=done.items_failed)

            run = source_sync(source_id=found.pk, since=start, progress=progress)
        if run is None:
            raise CommandError(f"another sync of {found.name!r} is running; try again when it ends")
        self.stdout.write(
            f"{run.get_status_display()}: {run.pages} pages, {run.items_new} new, {run.items_updated} updated, "
            f"{run.items_failed} failed"
        )
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(run.error)


def _date(text: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since {text!r}: use a date like 2026-01-31") from None
    moment = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    if moment > timezone.now():
        raise CommandError(f"--since {text}: that is in the future")
    return moment
