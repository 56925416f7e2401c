from celery import shared_task

from voc.ranking import services


@shared_task
def weeks_refresh_task(weeks: int = 2) -> int:
    return services.weeks_refresh(weeks=weeks)


@shared_task
def rankings_refresh_task() -> int:
    return services.rankings_refresh()
