from celery import shared_task

from voc.ranking import services


@shared_task
def weeks_refresh_task(weeks: int = 2) -> int:
    return services.weeks_refresh(weeks=weeks)
