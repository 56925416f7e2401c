from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "voc.search"
    label = "search"
