"""Cross-cutting Celery tasks."""

from celery import shared_task


@shared_task(name="clinic.ping")
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker."""
    return "pong"
