"""Thin Celery tasks for connector syncs."""

from celery import shared_task

from ingest import sync


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


@shared_task
def webhook_process_task(delivery_id: int) -> str | None:
    """Parse a verified delivery stored by the endpoint; a delivery already processed is left alone."""
    from ingest.webhooks import webhook_process

    delivery = webhook_process(delivery_id=delivery_id)
    return delivery.status if delivery else None
