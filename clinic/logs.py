"""Secrets and patient data in addresses stay out of the logs (DESIGN.md §6).

Django logs every 4xx answer with its path (`django.request`: "Bad Request: /staff/welcome/
<token>/" when a password on a link page is too weak, "Not Found: /calendar/<token>.ics"), so
the token of a one-time link or a calendar feed would reach the log. This filter, on the
`django.request` and `django.server` loggers (settings.LOGGING), replaces it with "…".

Staff search with GET (`/patients/?q=`, the navigation's search box, the API's `?search=`),
and the development server logs every request line with its query string: the typed name,
phone, e-mail or date of birth is blanked the same way."""

from __future__ import annotations

import logging
import re

# Paths whose next segment is a credential: the staff invitation, the portal's links, a
# practitioner's calendar feed.
SECRET_PATHS = re.compile(r"(/(?:staff/welcome|portal/invite|calendar)/)[^/\s?\"]+")


# A search term in a query string: `?q=Morgan&page=2` becomes `?q=…&page=2`.
SEARCH_TERMS = re.compile(r"([?&](?:q|search)=)[^&#\s\"]*")


def hide(text: str) -> str:
    return SEARCH_TERMS.sub(r"\1…", SECRET_PATHS.sub(r"\1…", text))


class HideLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(hide(a) if isinstance(a, str) else a for a in record.args)
        return True
