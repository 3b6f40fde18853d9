"""An SMS backend for the worker tests, chosen by env (SMS_BACKEND): it delivers like the file
backend, leaves a marker, then sleeps SLOW_SMS_SECONDS before returning, so a test can kill
the worker after the provider has the SMS and before the outcome is recorded (the worst
moment for a duplicate)."""

import os
import time
import uuid
from pathlib import Path

from treatments.messaging.sms import FileSmsBackend


class SlowSmsBackend(FileSmsBackend):
    def send(self, to: str, body: str) -> str:
        provider_id = super().send(to, body)
        markers = Path(os.environ["SLOW_SMS_MARKERS"])
        markers.mkdir(parents=True, exist_ok=True)
        (markers / uuid.uuid4().hex).touch()
        time.sleep(float(os.environ.get("SLOW_SMS_SECONDS", "0")))
        return provider_id
