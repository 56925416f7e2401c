from django.apps import AppConfig


class RankingConfig(AppConfig):
    name = "voc.ranking"
    label = "ranking"
