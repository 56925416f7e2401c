from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "voc.core"
    label = "core"

    def ready(self):
        from config.celery_app import log_task_mode

        log_task_mode()
