"""The aftercare wording on installs seeded before issue 10 item 8 (clinical reference §3):
actives stay off for about a week and until the skin is calm, exercise, sauna, hot tubs and
swimming for 72 hours, and the next stages repeat the rules.

Only lines still worded as seeded are changed, and a new line is added once, after the line
it follows in the seed (or at the end of its stage when a manager has reworded that one):
a manager's own wording is never overwritten. The texts are written out here, not imported,
so this migration means the same thing whatever the code says later.
"""

from django.db import migrations
from django.db.models import F

DAY_0, HOURS_24, HOURS_48_72, DO, ALWAYS = "day_0", "hours_24", "hours_48_72", "do", "always"

ACTIVES_OLD = (
    "No active products: no retinoids, acids (AHA or BHA), benzoyl peroxide or vitamin C, and "
    "nothing we have not approved. Some products can cause a reaction in freshly treated skin."
)
ACTIVES_NEW = ACTIVES_OLD + " Keep them off for about a week, until your skin is calm."
EXERCISE_OLD = (
    "No exercise, sauna, hot tub or swimming today. Avoid hard exercise and heavy sweating for "
    "72 hours."
)
EXERCISE_NEW = "No exercise, sauna, hot tub or swimming for 72 hours, and avoid heavy sweating."
ACTIVES_STILL_OFF = (
    "Still no retinoids, acids (AHA or BHA), benzoyl peroxide or vitamin C: keep them off for "
    "about a week, until your skin is calm."
)
EXERCISE_STILL_OFF = "Still no exercise, sauna, hot tub or swimming until 72 hours."

REWORDED = ((DAY_0, ACTIVES_OLD, ACTIVES_NEW), (DAY_0, EXERCISE_OLD, EXERCISE_NEW))
# (stage, the seeded line it follows, the new lines in order)
ADDED = (
    (HOURS_24, "Keep out of the sun as much as you can until 72 hours.",
     (ACTIVES_STILL_OFF, EXERCISE_STILL_OFF)),
    (HOURS_48_72, "Keep using sunscreen every day.", (ACTIVES_STILL_OFF,)),
)  # fmt: skip


def reword(apps, schema_editor):
    AftercareStep = apps.get_model("treatments", "AftercareStep")
    if not AftercareStep.objects.exists():
        return  # a new install: 0008 seeded the current wording
    for stage, old, new in REWORDED:
        AftercareStep.objects.filter(stage=stage, section=DO, text=old).update(text=new)
    for stage, anchor, lines in ADDED:
        rows = AftercareStep.objects.filter(stage=stage)
        if not rows.exists():
            continue  # the stage falls back to the code's defaults, which are current
        after = rows.filter(section=DO, text=anchor).order_by("position").first()
        position = after.position if after else max(r.position for r in rows)
        for line in lines:
            if rows.filter(text=line).exists():
                continue
            later = rows.filter(position__gt=position).order_by("position")
            room = later.first().position - position if later.exists() else 10
            position = position + 1 if room <= 1 else position + room // 2
            if room <= 1:  # no gap left: make one
                later.update(position=F("position") + 10)
            AftercareStep.objects.create(
                stage=stage, section=DO, condition=ALWAYS, position=position, text=line
            )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0012_depth_maximums")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
