"""Full-text index of feedback titles and texts: a generated tsvector with a GIN index on PostgreSQL, an FTS5 table
kept by triggers on SQLite (voc.feedback.search_schema says why each is built as it is). No model changes."""

from django.db import migrations

from voc.feedback.search_schema import search_index_install, search_index_remove


def forwards(apps, schema_editor):
    search_index_install(schema_editor.connection)


def backwards(apps, schema_editor):
    search_index_remove(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0006_sentiment_and_competitors"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
