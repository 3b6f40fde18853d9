# Protocols become versioned (issue 11): an edit makes a new row, and only the current version
# of an indication is offered for new courses; courses keep the row they were planned with.
# The rows already there become version 1 and current through the new fields' defaults (they
# were unique by indication, so no indication gets two current versions).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0018_aftercare_sheet_by_email_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='protocol',
            options={'ordering': ['name', '-version']},
        ),
        migrations.AddField(
            model_name='protocol',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name='protocol',
            name='created_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='protocol',
            name='is_current',
            field=models.BooleanField(default=True, editable=False, help_text='The version offered for new courses; a course keeps the version it has.'),
        ),
        migrations.AddField(
            model_name='protocol',
            name='version',
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.AlterField(
            model_name='protocol',
            name='indication',
            field=models.CharField(choices=[('acne_scars', 'Atrophic acne scars'), ('fine_lines', 'Fine lines and wrinkles'), ('stretch_marks', 'Stretch marks'), ('pigmentation', 'Pigmentation or melasma'), ('texture', 'Texture and photoageing')], max_length=30),
        ),
        migrations.AddConstraint(
            model_name='protocol',
            constraint=models.UniqueConstraint(condition=models.Q(('is_current', True)), fields=('indication',), name='protocol_one_current_version_per_indication'),
        ),
        migrations.AddConstraint(
            model_name='protocol',
            constraint=models.UniqueConstraint(fields=('indication', 'version'), name='protocol_version_unique'),
        ),
        migrations.AddConstraint(
            model_name='protocol',
            constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='protocol_version_positive'),
        ),
    ]
