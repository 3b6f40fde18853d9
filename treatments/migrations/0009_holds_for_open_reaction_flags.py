"""A reaction a patient reported now gates treatment through a hold in `patients` (the one
clearance rule). Reactions still open when this is applied get their hold here, so none
stops gating on upgrade; releasing the flag releases the hold."""

from django.db import migrations


def hold_open_flags(apps, schema_editor):
    ReactionFlag = apps.get_model("treatments", "ReactionFlag")
    Hold = apps.get_model("patients", "Hold")
    for flag in ReactionFlag.objects.filter(cleared_at__isnull=True).select_related("session"):
        Hold.objects.get_or_create(
            patient_id=flag.patient_id,
            source="reaction",
            source_ref=str(flag.public_id),
            released_at=None,
            defaults={
                "reason": "The patient reported a reaction after the session on "
                f"{flag.session.starts_at:%d %B %Y}.",
                "placed_at": flag.raised_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0004_hold"),
        ("treatments", "0008_default_aftercare_steps"),
    ]

    operations = [migrations.RunPython(hold_open_flags, migrations.RunPython.noop)]
