"""The Celery app, as in Celery's "First steps with Django"."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_prerun
from django.db import close_old_connections

from clinic.logs import HideSecrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks that live in an app's packages rather than its top level (task names are unchanged:
# `treatments.sweep_outbox`, `treatments.send_message`).
app.autodiscover_tasks(["treatments.messaging", "patients.imports", "treatments.waitlist"])


@after_setup_logger.connect
@after_setup_task_logger.connect
def hide_secrets(logger, **kwargs) -> None:
    """The worker and beat replace the root logger's handlers with their own: those handlers
    redact as Django's console does (clinic/logs.py)."""
    for handler in logger.handlers:
        handler.addFilter(HideSecrets())


@task_prerun.connect
def drop_stale_connection(sender=None, **kwargs) -> None:
    """Before each task in a worker: with CELERY_DB_REUSE_MAX the connection outlives the
    task, so one that failed (PostgreSQL restarted) or is older than CONN_MAX_AGE is closed
    here and the task opens a fresh one, as Django does before each request. Not for a task
    run eagerly inside a caller's transaction (tests, `task_always_eager`)."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    close_old_connections()
