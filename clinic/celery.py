"""The Celery app, as in Celery's "First steps with Django"."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from clinic.logs import HideSecrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks that live in an app's packages rather than its top level (task names are unchanged:
# `treatments.sweep_outbox`, `treatments.send_message`).
app.autodiscover_tasks(["treatments.messaging"])


@after_setup_logger.connect
@after_setup_task_logger.connect
def hide_secrets(logger, **kwargs) -> None:
    """The worker and beat replace the root logger's handlers with their own: those handlers
    redact as Django's console does (clinic/logs.py)."""
    for handler in logger.handlers:
        handler.addFilter(HideSecrets())
