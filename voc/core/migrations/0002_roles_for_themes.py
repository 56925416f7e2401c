from django.db import migrations

from voc.core.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_roles"),
        ("themes", "0002_theme_engine"),
        ("feedback", "0002_item_embedding_and_theme"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
