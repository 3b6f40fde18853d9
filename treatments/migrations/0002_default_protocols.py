"""Seed the protocol defaults of the clinical reference (§2)."""

from django.db import migrations


def seed(apps, schema_editor):
    from treatments.scheduling.protocols import seed_protocols

    seed_protocols(apps.get_model("treatments", "Protocol"))


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
