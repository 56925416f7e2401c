"""The full-text index again, with each item's day beside its words on PostgreSQL so that "the newest matches" are
found inside the index (voc.feedback.search_schema). A change to the index is taken out and put back in whole, as
search_schema says; on SQLite that rebuilds the same FTS5 table. No model changes."""

from django.db import migrations

from voc.feedback.search_schema import search_index_install, search_index_remove


def reinstall(apps, schema_editor):
    search_index_remove(schema_editor.connection)
    search_index_install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0007_feedback_search_index"),
    ]

    operations = [
        # Backwards too: the index's only definition is the current one, and it serves 0007's queries as well.
        migrations.RunPython(reinstall, reinstall),
    ]
