from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "voc.core"
    label = "core"

    def ready(self):
        from django.contrib import admin

        from config.celery_app import log_task_mode

        log_task_mode()
        # The admin says voc, not "Django administration", in its header, title and login page.
        admin.site.site_header = "voc"
        admin.site.site_title = "voc admin"
        admin.site.index_title = "Administration"
