from django.db import migrations


def seed(apps, schema_editor):
    """The aftercare wording from the clinical reference §3, for the manager to edit."""
    from treatments.portal.aftercare import DEFAULT_STEPS

    AftercareStep = apps.get_model("treatments", "AftercareStep")
    if AftercareStep.objects.exists():
        return
    AftercareStep.objects.bulk_create(
        AftercareStep(
            stage=step.stage,
            section=step.section,
            condition=step.condition,
            position=(position + 1) * 10,
            text=step.text,
        )
        for position, step in enumerate(DEFAULT_STEPS)
    )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0007_portal")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
