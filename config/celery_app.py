"""The Celery app. Broker and policy come from Django settings (CELERY_* names)."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("voc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    lambda: ["voc.accounts", "voc.feedback", "voc.themes", "voc.ranking", "voc.digests", "voc.search", "ingest"]
)

logger = logging.getLogger("voc")


def log_task_mode() -> None:
    """Say in one line at start-up whether tasks go to a broker or run in-process."""
    if app.conf.task_always_eager:
        logger.info("Tasks run in-process: no CELERY_BROKER_URL or REDIS_URL is set (embedded default).")
    else:
        logger.info("Tasks go to the broker at %s.", _redact(app.conf.broker_url))


def _redact(url: str) -> str:
    # Keep passwords out of logs: redis://:secret@host -> redis://:***@host
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url

