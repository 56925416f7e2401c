from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "voc.api"
    label = "api"

    def ready(self):
        from voc.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
