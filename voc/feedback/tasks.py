"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task
from django.db import OperationalError

from voc.feedback import competitors, pipeline


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def feedback_process_task(item_ids: list[int]) -> int:
    return pipeline.feedback_process(item_ids=item_ids)


@shared_task
def feedback_sweep_task() -> int:
    return pipeline.feedback_sweep()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def feedback_reresolve_task(item_ids: list[int] | None = None) -> int:
    return pipeline.feedback_reresolve(item_ids=item_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def competitor_tag_past_task(competitor_id: int) -> int:
    return competitors.competitor_tag_past(competitor_id=competitor_id)
