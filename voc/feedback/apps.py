from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "voc.feedback"
    label = "feedback"
