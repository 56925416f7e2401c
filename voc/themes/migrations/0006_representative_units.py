"""Quotes are feedback units now: each theme's representative items become their units (one per item so far)."""

from django.db import migrations, models


def quotes_to_units(apps, schema_editor):
    Theme = apps.get_model("themes", "Theme")
    FeedbackUnit = apps.get_model("feedback", "FeedbackUnit")
    for theme in Theme.objects.exclude(representative_unit_ids=[]).iterator(chunk_size=500):
        unit_of = dict(
            FeedbackUnit.objects.filter(item_id__in=theme.representative_unit_ids, position=0).values_list("item_id", "pk")
        )
        theme.representative_unit_ids = [unit_of[item_id] for item_id in theme.representative_unit_ids if item_id in unit_of]
        theme.save(update_fields=["representative_unit_ids"])


def quotes_to_items(apps, schema_editor):
    Theme = apps.get_model("themes", "Theme")
    FeedbackUnit = apps.get_model("feedback", "FeedbackUnit")
    for theme in Theme.objects.exclude(representative_unit_ids=[]).iterator(chunk_size=500):
        item_of = dict(FeedbackUnit.objects.filter(pk__in=theme.representative_unit_ids).values_list("pk", "item_id"))
        theme.representative_unit_ids = [item_of[unit_id] for unit_id in theme.representative_unit_ids if unit_id in item_of]
        theme.save(update_fields=["representative_unit_ids"])


class Migration(migrations.Migration):

    dependencies = [
        ("themes", "0005_curation_split"),
        ("feedback", "0005_feedback_units"),
    ]

    operations = [
        migrations.RenameField(model_name="theme", old_name="representative_item_ids", new_name="representative_unit_ids"),
        migrations.RunPython(quotes_to_units, quotes_to_items),
        migrations.AlterField(
            model_name="clusterrun",
            name="items",
            field=models.PositiveIntegerField(default=0, help_text="Feedback units clustered."),
        ),
    ]
