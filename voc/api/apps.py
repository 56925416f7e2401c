from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "voc.api"
    label = "api"
