"""Syncing a connector source: page after page, each stored with the cursor after it in one transaction."""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from ingest.base import ConnectorError, Page, connector_for
from voc.feedback.models import Source, SyncRun
from voc.feedback.services import IngestStatus, feedback_ingest_batch

logger = logging.getLogger(__name__)

# A sync holds its source for this long and renews the hold with every page, so a crashed worker's hold lapses.
LEASE = timedelta(minutes=10)
# Transient failures of one page are retried this many times, waiting what the API asked or backing off
# exponentially with jitter; never longer than MAX_WAIT at once, well below the broker's visibility timeout.
ATTEMPTS = 5
BACKOFF_BASE = 2.0
MAX_WAIT = 120.0


@dataclass
class SyncProgress:
    pages: int
    items_new: int
    items_updated: int
    items_failed: int


def source_sync(
    *,
    source_id: int,
    since: datetime | None = None,
    max_pages: int | None = None,
    progress: Callable[[SyncProgress], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncRun | None:
    """Sync one source from its saved cursor (or from `since`); None when another sync of it is running.

    A transient failure that outlasts the retries, or a permanent one, ends the run as failed with the reason on
    the run and on the source; what was stored before stays, and the next run resumes after it.
    """
    source = _claim(source_id)
    if source is None:
        return None
    run = SyncRun.objects.create(source=source)
    try:
        connector = connector_for(source)
        cursor = connector.start_cursor(since) if since or not source.cursor else dict(source.cursor)
        while True:
            page = _fetch(connector, cursor, sleep)
            counts = _store(source, run, page)
            run.refresh_from_db()
            if progress:
                progress(SyncProgress(run.pages, run.items_new, run.items_updated, run.items_failed))
            cursor = page.cursor
            if page.done or (max_pages and run.pages >= max_pages):
                break
            logger.debug("%s page %d: %s", source.name, run.pages, counts)
    except ConnectorError as error:
        _finish(source, run, error=str(error), permanent=error.permanent)
        logger.warning("sync of %s failed: %s", source.name, error)
    except Exception as error:
        _finish(source, run, error=f"{type(error).__name__}: {error}")
        raise
    else:
        _finish(source, run)
    run.refresh_from_db()
    return run


def sources_due(*, now: datetime | None = None) -> list[int]:
    """Enabled connector sources whose interval has passed since their last sync."""
    from ingest.base import CONNECTORS

    now = now or timezone.now()
    sources = (
        Source.objects.filter(enabled=True, kind__in=list(CONNECTORS), sync_every_minutes__gt=0)
        .annotate(last_run=Max("sync_runs__started_at"))
        .values_list("pk", "last_run", "sync_every_minutes")
    )
    # Counted from the last attempt, failed ones included, so a failing source waits its interval too.
    return [
        pk for pk, last_run, minutes in sources if last_run is None or last_run + timedelta(minutes=minutes) <= now
    ]


def _claim(source_id: int) -> Source | None:
    """Take the source's lease under a row lock: of two workers asking at once, exactly one gets it."""
    now = timezone.now()
    with transaction.atomic():
        source = Source.objects.select_for_update().filter(pk=source_id).first()
        if source is None or (source.sync_lease_until and source.sync_lease_until > now):
            return None
        source.sync_lease_until = now + LEASE
        source.save(update_fields=["sync_lease_until"])
    return source


def _fetch(connector, cursor: dict, sleep) -> Page:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return connector.fetch_page(cursor)
        except ConnectorError as error:
            if error.permanent or attempt == ATTEMPTS:
                raise
            wait = error.retry_after if error.retry_after is not None else BACKOFF_BASE**attempt
            wait = min(wait + random.uniform(0, 1), MAX_WAIT)
            logger.info("%s; retry %d of %d in %.1f s", error, attempt, ATTEMPTS - 1, wait)
            sleep(wait)
    raise AssertionError("unreachable")


def _store(source: Source, run: SyncRun, page: Page) -> dict[str, int]:
    """The page's records and the cursor after them, in one transaction: all of it is stored, or none."""
    now = timezone.now()
    with transaction.atomic():
        results = feedback_ingest_batch(source=source, records=page.records, update_existing=True)
        counts = {status: 0 for status in (IngestStatus.CREATED, IngestStatus.UPDATED, IngestStatus.REJECTED)}
        for result in results:
            if result.status in counts:
                counts[result.status] += 1
            if result.status == IngestStatus.REJECTED:
                logger.warning("%s: record %s rejected: %s", source.name, result.index, result.errors)
        for external_id, reason in page.skipped:
            logger.warning("%s: record %s skipped: %s", source.name, external_id, reason)
        Source.objects.filter(pk=source.pk).update(cursor=page.cursor, sync_lease_until=now + LEASE)
        SyncRun.objects.filter(pk=run.pk).update(
            pages=F("pages") + 1,
            items_new=F("items_new") + counts[IngestStatus.CREATED],
            items_updated=F("items_updated") + counts[IngestStatus.UPDATED],
            items_failed=F("items_failed") + counts[IngestStatus.REJECTED] + len(page.skipped),
        )
    return counts


def _finish(source: Source, run: SyncRun, *, error: str = "", permanent: bool = False) -> None:
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED if error else SyncRun.Status.DONE, finished_at=now, error=error[:2000]
    )
    fields = {"sync_lease_until": None, "last_error": error[:2000]}
    if not error:
        fields["last_synced_at"] = now
    if permanent:  # retrying cannot help: stop until someone fixes it and enables the source again
        fields["enabled"] = False
        fields["last_error"] = f"Stopped: {error}"[:2000]
    Source.objects.filter(pk=source.pk).update(**fields)
