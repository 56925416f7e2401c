from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "voc.demo"
    label = "demo"
