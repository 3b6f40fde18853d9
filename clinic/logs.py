"""Secrets and patient data in addresses stay out of the logs (DESIGN.md §6).

Four kinds of address carry what no log may keep:

- a credential in the path: a staff invitation (`/staff/welcome/<token>/`), a patient's
  invitation or password-reset link (`/portal/invite/<token>/`) and a practitioner's
  calendar feed (`/calendar/<token>.ics`, which calendar apps fetch by URL alone, so the
  token cannot leave it);
- what follows the resource type under /fhir/ (`/fhir/Patient/<id>/$everything`): an id,
  or whatever a client typed in its place;
- a search term in the query string (`/patients/?q=Morgan`, the API's `?search=`): a name,
  phone number, e-mail address or date of birth;
- any other query string, which the app does not promise to keep free of either.

`hide` blanks the first kind's segment and every query string with "…". `HideSecrets` runs
it over every record Django's console handler writes (settings.LOGGING: `django.request`'s
"Not Found: /calendar/<token>.ics", runserver's request lines, the app's own loggers), the
Celery worker's and beat's handlers (clinic/celery.py) and gunicorn's error log; gunicorn's
access log is written through `clinic.gunicorn_logger` with the same rules.
`clinic/tests/test_logs.py` checks that every route of the URLconf that takes a token is
covered here, and `treatments/tests/test_log_privacy.py` greps what a running server logs.
"""

from __future__ import annotations

import logging
import re

HIDDEN = "…"

# The routes that take a `token` (clinic/staff/urls.py, treatments/portal/urls.py,
# treatments/scheduling/urls.py): the segment after these prefixes, wherever the path
# appears (a request line, a full URL in a Referer, Django's "Not Found: <path>"). The
# calendar's token is its last segment, so `/calendar/rotate-feed/` stays readable.
SECRET_SEGMENTS = (
    (re.compile(r"(/staff/welcome/)[^/\s?\"#]+"), r"\1" + HIDDEN),
    (re.compile(r"(/portal/invite/)[^/\s?\"#]+"), r"\1" + HIDDEN),
    (re.compile(r"(/portal/offers/)[^/\s?\"#]+"), r"\1" + HIDDEN),
    (re.compile(r"(/calendar/)[^/\s?\"#]+?(\.ics)?(?=$|[\s?\"#])"), r"\1" + HIDDEN + r"\2"),
    # FHIR's read API (treatments/exchange): what follows the resource type, an id or
    # whatever a client typed there (a name, say), and `$everything`.
    (re.compile(r"(/fhir/[A-Za-z]+/)[^\s?\"#]+"), r"\1" + HIDDEN),
)

# A query string: from "?" to the end of the address (whitespace or a quote ends it).
QUERY = re.compile(r"\?[^\s\"#]+")


def hide(text: str) -> str:
    """`text` with every secret path segment and every query string replaced by "…"."""
    for pattern, replacement in SECRET_SEGMENTS:
        text = pattern.sub(replacement, text)
    return QUERY.sub("?" + HIDDEN, text)


class HideSecrets(logging.Filter):
    """Formats the record's message once and keeps only its redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep the template alone
            message = str(record.msg)
        record.msg = hide(message)
        record.args = None
        return True
