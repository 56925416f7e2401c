from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "voc.digests"
    label = "digests"
    verbose_name = "Weekly digests"
