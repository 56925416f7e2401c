from django.db import migrations

from voc.core.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_roles_for_themes"),
        ("ranking", "0001_initial"),
        ("themes", "0004_curation"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
