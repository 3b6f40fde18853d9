# Every check-in answer reaches a clinician: the triage list's read marker, and what the
# note's screening found (treatments/portal/warning_signs.py). Existing answers start unread,
# so the first triage list shows them all once: nothing a patient wrote is assumed seen.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0010_one_way_to_send'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='checkinanswer',
            name='note_signs',
            field=models.JSONField(blank=True, default=list, help_text='Warning signs the note names (warning_signs.py).'),
        ),
        migrations.AddField(
            model_name='checkinanswer',
            name='read_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='checkinanswer',
            name='read_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='checkinanswer',
            name='urgent',
            field=models.BooleanField(default=False, help_text='The note named an urgent sign: told to call emergency services.'),
        ),
        migrations.AddIndex(
            model_name='checkinanswer',
            index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['-submitted_at'], name='check_in_unread'),
        ),
        migrations.AddConstraint(
            model_name='checkinanswer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('read_at__isnull', True), ('read_by__isnull', True)), models.Q(('read_at__isnull', False), ('read_by__isnull', False)), _connector='OR'), name='check_in_read_by_someone'),
        ),
    ]
