from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class FeedbackConfig(AppConfig):
    name = "voc.feedback"
    label = "feedback"

    def ready(self):
        # Schema upkeep, not business logic: a later migration that rebuilds the item table on SQLite drops the
        # triggers that keep the full-text index in step (voc.feedback.search_schema), and nothing else would notice.
        post_migrate.connect(_search_triggers_repair, sender=self, dispatch_uid="feedback_search_triggers_repair")


def _search_triggers_repair(sender, using, **kwargs):
    from voc.feedback.search_schema import search_triggers_repair

    search_triggers_repair(connections[using])
