"""Thin Celery tasks for themes."""

from celery import shared_task, signature
from django.db import OperationalError

from voc.themes import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def themes_recluster_task() -> int:
    """Nightly, or from the admin: bring embeddings up to the current model, then re-cluster."""
    services.embeddings_refresh()
    run_id = services.themes_recluster().pk
    # The more-like-this index holds the vectors a model change just replaced; named, since themes must not import
    # a feature app. Beat rebuilds it hourly anyway, so a lost message costs at most an hour of exact scans.
    signature("voc.search.tasks.neighbours_index_build_task").delay()
    return run_id
