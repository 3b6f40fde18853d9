from django.db import migrations, models

import treatments.models


def fill_tokens(apps, schema_editor):
    Practitioner = apps.get_model("treatments", "Practitioner")
    for practitioner in Practitioner.objects.all():
        practitioner.calendar_token = treatments.models.new_calendar_token()
        practitioner.save(update_fields=["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_no_double_booking")]

    operations = [
        migrations.AddField(
            model_name="practitioner",
            name="calendar_token",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="practitioner",
            name="calendar_token",
            field=models.CharField(
                default=treatments.models.new_calendar_token,
                help_text="The secret in the practitioner's .ics feed URL; rotate it to revoke.",
                max_length=64,
                unique=True,
            ),
        ),
    ]
