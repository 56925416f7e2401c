"""Thin Celery tasks for themes."""

from celery import shared_task
from django.db import OperationalError

from voc.themes import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def themes_recluster_task() -> int:
    """Nightly, or from the admin: bring embeddings up to the current model, then re-cluster."""
    services.embeddings_refresh()
    return services.themes_recluster().pk
