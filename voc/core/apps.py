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
        # The model sidebar took a quarter of a 1280 px window from every list; the header links to voc's pages
        # and the admin index lists the models (templates/admin/base_site.html).
        admin.site.enable_nav_sidebar = False
        admin.site.site_url = None  # "Home" in the header is the site
