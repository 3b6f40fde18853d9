"""No double booking on PostgreSQL: exclusion constraints over active sessions.

A practitioner, a room and a device each hold at most one active (booked or checked-in)
session at any instant: `tstzrange(starts_at, ends_at, '[)')` ranges may not overlap, so
back-to-back sessions are allowed. On other databases this step does nothing; the service's
locked check-then-insert keeps them correct there.
"""

from django.db import migrations

RESOURCES = ("practitioner_id", "room_id", "device_id")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for column in RESOURCES:
        schema_editor.execute(
            f"ALTER TABLE treatments_session ADD CONSTRAINT session_no_overlap_{column} "
            f"EXCLUDE USING gist ({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status IN ('booked', 'checked_in'))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in RESOURCES:
        schema_editor.execute(
            f"ALTER TABLE treatments_session DROP CONSTRAINT IF EXISTS session_no_overlap_{column}"
        )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_courses_sessions")]

    operations = [migrations.RunPython(create, drop)]
