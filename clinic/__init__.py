"""The Clinic project: settings, URLs, the Celery app, roles, the audit log and health."""

from .celery import app as celery_app

__all__ = ["celery_app"]
