# Each protocol area gets a maximum depth (clinical reference §2.2; never above 2.5 mm), and a
# chart records the practitioner's reason for a setting above the area's flag. Existing areas
# keep the manager's edits: a missing maximum comes from the seed for that area (or the flag,
# if higher), and nothing is left above 2.5 mm.

from decimal import Decimal

from django.db import migrations, models

from treatments.scheduling.protocols import DEFAULT_PROTOCOLS, MAX_DEPTH_MM

SEED = {spec["indication"]: spec["depth_ranges"] for spec in DEFAULT_PROTOCOLS}


def _number(value, default):
    try:
        return Decimal(str(value))
    except (TypeError, ArithmeticError):
        return default


def add_maximums(apps, schema_editor):
    Protocol = apps.get_model("treatments", "Protocol")
    for protocol in Protocol.objects.all():
        ranges = protocol.depth_ranges if isinstance(protocol.depth_ranges, dict) else {}
        seeded = SEED.get(protocol.indication, {})
        changed = {}
        for area, spec in ranges.items():
            if not isinstance(spec, dict):
                continue
            flag = min(_number(spec.get("flag_above"), MAX_DEPTH_MM), MAX_DEPTH_MM)
            top = _number(spec.get("max"), None)
            if top is None:
                top = _number((seeded.get(area) or {}).get("max"), MAX_DEPTH_MM)
            top = min(max(top, flag), MAX_DEPTH_MM)
            changed[area] = {**spec, "flag_above": float(flag), "max": float(top)}
        if changed != ranges:
            protocol.depth_ranges = {**ranges, **changed}
            protocol.save(update_fields=["depth_ranges"])


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0011_check_in_triage"),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionrecord",
            name="depth_reason",
            field=models.CharField(
                blank=True,
                help_text="The practitioner's reason for a setting above the area's flag (§2.2).",
                max_length=150,
            ),
        ),
        migrations.RunPython(add_maximums, migrations.RunPython.noop),
    ]
