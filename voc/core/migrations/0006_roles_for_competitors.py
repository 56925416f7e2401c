from django.db import migrations

from voc.core.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_roles_for_digests"),
        ("feedback", "0006_sentiment_and_competitors"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
