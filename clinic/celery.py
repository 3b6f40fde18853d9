"""The Celery app, as in Celery's "First steps with Django"."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks that live in an app's packages rather than its top level (task names are unchanged:
# `treatments.sweep_outbox`, `treatments.send_message`).
app.autodiscover_tasks(["treatments.messaging"])
