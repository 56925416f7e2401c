"""Thin Celery tasks for connector syncs."""

from celery import shared_task

from ingest import sync
from ingest.base import TransientError


@shared_task
def source_sync_task(source_id: int) -> int | None:
    """Sync one source; does nothing while another sync of it runs."""
    run = sync.source_sync(source_id=source_id)
    return run.pk if run else None


@shared_task
def sources_sync_due_task() -> int:
    """On beat every minute: start the sync of each source whose interval has passed."""
    due = sync.sources_due()
    for source_id in due:
        source_sync_task.delay(source_id)
    return len(due)


@shared_task(autoretry_for=(TransientError,), retry_backoff=True, retry_backoff_max=600, max_retries=6)
def webhook_process_task(delivery_id: int) -> str | None:
    """Parse a verified delivery stored by the endpoint; a delivery already processed is left alone."""
    from ingest.webhooks import webhook_process

    delivery = webhook_process(delivery_id=delivery_id)
    return delivery.status if delivery else None


@shared_task
def webhooks_sweep_task() -> int:
    """On beat: process again the deliveries stored but left unprocessed (a lost message, spent retries)."""
    from ingest.webhooks import webhooks_stuck

    stuck = webhooks_stuck()
    for delivery_id in stuck:
        webhook_process_task.delay(delivery_id)
    return len(stuck)
