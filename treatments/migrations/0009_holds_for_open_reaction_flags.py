"""A reaction a patient reported now gates treatment through a hold in `patients` (the one
clearance rule). Reactions still open when this is applied get their hold here, so none
stops gating on upgrade; releasing the flag releases the hold."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def hold_open_flags(apps, schema_editor):
    ReactionFlag = apps.get_model("treatments", "ReactionFlag")
    Hold = apps.get_model("patients", "Hold")
    zone = ZoneInfo(settings.CLINIC_TIME_ZONE)
    for flag in ReactionFlag.objects.filter(cleared_at__isnull=True).select_related("session"):
        # The session's day on the clinic's clock, written as the check-in service writes it.
        day = flag.session.starts_at.astimezone(zone).date()
        Hold.objects.get_or_create(
            patient_id=flag.patient_id,
            source="reaction",
            source_ref=str(flag.public_id),
            released_at=None,
            defaults={
                "reason": "The patient reported a reaction after the session on "
                f"{day.day} {day:%B %Y}.",
                "placed_at": flag.raised_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0004_hold"),
        ("treatments", "0008_default_aftercare_steps"),
    ]

    operations = [migrations.RunPython(hold_open_flags, migrations.RunPython.noop)]
