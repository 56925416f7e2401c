"""Feedback units: every processed item gets one unit of its whole text, carrying its embedding and theme, so the
ranking counts it as before; `voc_pipeline` (units_resplit) then cuts each item into its problems, chunk by chunk,
while everything stays up."""

import django.db.models.deletion
from django.db import migrations, models


def units_from_items(apps, schema_editor):
    item_table = apps.get_model("feedback", "FeedbackItem")._meta.db_table
    unit_table = apps.get_model("feedback", "FeedbackUnit")._meta.db_table
    quote = schema_editor.connection.ops.quote_name
    # One statement, not a Python loop: a million items take seconds, inside the migration's transaction.
    schema_editor.execute(
        f"INSERT INTO {quote(unit_table)} (item_id, position, start, {quote('end')}, text, embedding_id, theme_id, "
        f"theme_similarity, theme_assigned_by) "
        f"SELECT id, 0, 0, LENGTH(text), '', embedding_id, theme_id, theme_similarity, theme_assigned_by "
        f"FROM {quote(item_table)} WHERE status = 'processed'"
    )


def items_from_units(apps, schema_editor):
    FeedbackItem = apps.get_model("feedback", "FeedbackItem")
    FeedbackUnit = apps.get_model("feedback", "FeedbackUnit")
    for unit in FeedbackUnit.objects.filter(position=0).iterator(chunk_size=2000):
        FeedbackItem.objects.filter(pk=unit.item_id).update(
            embedding_id=unit.embedding_id, theme_similarity=unit.theme_similarity,
            theme_assigned_by=unit.theme_assigned_by,
        )


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0004_webhook_deliveries"),
        ("themes", "0005_curation_split"),
    ]

    operations = [
        migrations.CreateModel(
            name="FeedbackUnit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(help_text="0 for the item's first unit.")),
                ("start", models.PositiveIntegerField(blank=True, null=True)),
                ("end", models.PositiveIntegerField(blank=True, null=True)),
                ("text", models.TextField(blank=True)),
                ("theme_similarity", models.FloatField(blank=True, null=True)),
                ("theme_assigned_by", models.CharField(blank=True, choices=[("clustering", "Clustering"), ("nearest", "Nearest theme"), ("person", "A person")], max_length=20)),
                ("embedding", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="units", to="themes.embedding")),
                ("item", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="units", to="feedback.feedbackitem")),
                ("theme", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="units", to="themes.theme")),
            ],
            options={
                "ordering": ["item", "position"],
                "indexes": [models.Index(fields=["theme", "item"], name="feedback_unit_theme_idx")],
                "constraints": [models.UniqueConstraint(fields=("item", "position"), name="feedback_unit_unique_position")],
            },
        ),
        migrations.AddField(
            model_name="feedbackitem",
            name="units_version",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(units_from_items, items_from_units),
        migrations.RemoveField(model_name="feedbackitem", name="embedding"),
        migrations.RemoveField(model_name="feedbackitem", name="theme_assigned_by"),
        migrations.RemoveField(model_name="feedbackitem", name="theme_similarity"),
        migrations.AlterField(
            model_name="feedbackitem",
            name="theme",
            field=models.ForeignKey(blank=True, help_text="The theme of its first themed unit; see its units for every theme it raised.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="items", to="themes.theme"),
        ),
    ]
