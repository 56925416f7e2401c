from django.apps import AppConfig


class ThemesConfig(AppConfig):
    name = "voc.themes"
    label = "themes"
