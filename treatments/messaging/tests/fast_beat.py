"""The clinic's Celery app with the outbox sweep every OUTBOX_SWEEP_SECONDS (default 1 s),
for a real beat process in the worker tests:
`celery -A treatments.messaging.tests.fast_beat beat`."""

import os

from clinic.celery import app

app.conf.beat_schedule = {
    "outbox-sweep": {
        "task": "treatments.sweep_outbox",
        "schedule": float(os.environ.get("OUTBOX_SWEEP_SECONDS", "1")),
    }
}

__all__ = ["app"]
