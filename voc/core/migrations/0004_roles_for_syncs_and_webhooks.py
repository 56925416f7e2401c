from django.db import migrations

from voc.core.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_roles_for_ranking_and_curation"),
        ("feedback", "0004_webhook_deliveries"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
