"""SMS backends: one small interface, `send(to, body) -> provider id`.

`settings.SMS_BACKEND` is "file" (the embedded default: one file per SMS under
`settings.SMS_FILE_PATH`) or the dotted path of a class with that method, such as
`treatments.messaging.sms.HttpSmsBackend` for an HTTP provider.

Errors say what went wrong in a few words and never repeat the number or the text: they end
up in the message log that staff read (DESIGN.md §6, "No patient data where it doesn't
belong").

`segments` counts the parts a text goes out in, as carriers bill it: the clinic's texts keep
to the GSM-7 alphabet (a single other character, such as a curly quote or a dash, turns the
whole text into UCS-2 at 70 characters a part), and a test holds every SMS template to
`MAX_SEGMENTS`.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

HTTP_TIMEOUT_SECONDS = 10

# GSM 03.38: the basic alphabet (one septet each) and its extension table (two each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# The longest text the clinic sends: 4 concatenated GSM-7 parts, 612 characters. The
# after-session texts carry the aftercare essentials and need about 3 or 4.
MAX_SEGMENTS = 4


def gsm7_length(text: str) -> int | None:
    """The text's length in GSM-7 septets, or None when a character is outside GSM-7."""
    if not set(text) <= GSM7_BASIC | GSM7_EXTENSION:
        return None
    return len(text) + sum(1 for ch in text if ch in GSM7_EXTENSION)


def segments(text: str) -> int:
    """How many parts the text is sent in: GSM-7 fits 160 septets in one part and 153 in each
    part of a longer one; anything else is UCS-2, 70 and 67 characters (UTF-16 units)."""
    septets = gsm7_length(text)
    if septets is not None:
        single, part, length = 160, 153, septets
    else:
        single, part, length = 70, 67, len(text.encode("utf-16-le")) // 2
    return 1 if length <= single else -(-length // part)


class SmsError(Exception):
    """The SMS could not be handed to the provider; the message is short and data-free."""


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> str: ...


class FileSmsBackend:
    """Writes each SMS to its own file under SMS_FILE_PATH; the file's name is the id."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, to: str, body: str) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex}"
        final = self.path / f"{provider_id}.txt"
        partial = self.path / f".{provider_id}.tmp"
        partial.write_text(f"To: {to}\nFrom: {settings.SMS_SENDER}\n\n{body}\n", encoding="utf-8")
        os.replace(partial, final)  # whole files only: a reader never sees half an SMS
        return provider_id


class HttpSmsBackend:
    """POSTs `{"to", "from", "body"}` as JSON with a bearer token; the answer's `id` is kept.

    Anything but a 2xx answer carrying an id is an `SmsError` (the message is retried).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout: float = HTTP_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url or settings.SMS_HTTP_URL
        self.token = token or settings.SMS_HTTP_TOKEN
        self.sender = sender or settings.SMS_SENDER
        self.timeout = timeout

    def send(self, to: str, body: str) -> str:
        if not self.url:
            raise SmsError("SMS_HTTP_URL is not set.")
        try:
            response = requests.post(
                self.url,
                json={"to": to, "from": self.sender, "body": body},
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise SmsError(f"The SMS provider did not answer within {self.timeout:g} s.") from exc
        except requests.RequestException as exc:
            raise SmsError(
                f"The SMS provider could not be reached ({type(exc).__name__})."
            ) from exc
        if not 200 <= response.status_code < 300:
            raise SmsError(f"The SMS provider answered HTTP {response.status_code}.")
        try:
            data = response.json()
        except ValueError as exc:
            raise SmsError("The SMS provider's answer is not JSON.") from exc
        provider_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(provider_id, bool) or not isinstance(provider_id, str | int):
            raise SmsError("The SMS provider's answer has no message id.")
        provider_id = str(provider_id).strip()
        if not provider_id:
            raise SmsError("The SMS provider's answer has no message id.")
        return provider_id[:200]


# Dotted paths from before `treatments/` became packages, still accepted in SMS_BACKEND.
MOVED_BACKENDS = {
    "treatments.sms.HttpSmsBackend": "treatments.messaging.sms.HttpSmsBackend",
    "treatments.sms.FileSmsBackend": "treatments.messaging.sms.FileSmsBackend",
}


def get_sms_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    if name == "file":
        return FileSmsBackend()
    return import_string(MOVED_BACKENDS.get(name, name))()
