"""Thin Celery tasks for more-like-this."""

from celery import shared_task
from django.db import OperationalError

from voc.search import neighbours


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def neighbours_index_build_task() -> int:
    """Hourly on beat, and after each re-cluster: rebuild the more-like-this index from the stored vectors."""
    return neighbours.neighbours_index_build().units
