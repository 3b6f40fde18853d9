"""gunicorn's logs with the app's redaction (clinic/logs.py), named by `logger_class` in
gunicorn.conf.py, so every `gunicorn clinic.wsgi` started from the project's folder (and
`make run` with DEBUG off, which names the file) writes an access log without link tokens,
the calendar feed's token or any query string, including the Referer's.

The access log keeps gunicorn's combined format; an atom is redacted when the line is
formatted, so a custom `access_log_format` (request headers `%({referer}i)s`, environ
`%({raw_uri}e)s`) is covered too. The error log ("Error handling request /path?…") passes
through the same filter as Django's console.

Imports nothing of Django: gunicorn's master loads it before the app.
"""

from __future__ import annotations

from gunicorn import glogging

from clinic.logs import HIDDEN, HideSecrets, hide

# The atoms that are the query string itself.
QUERY_ATOMS = frozenset({"q", "{query_string}e"})

_filter = HideSecrets()  # one instance: a config reload re-runs setup without adding another


class RedactedAtoms(glogging.SafeAtoms):
    def __getitem__(self, key: str):
        value = super().__getitem__(key)
        if not isinstance(value, str) or value in ("", "-"):
            return value
        if key.lower() in QUERY_ATOMS:
            return HIDDEN
        return hide(value)


class RedactingLogger(glogging.Logger):
    atoms_wrapper_class = RedactedAtoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_filter)
        self.access_log.addFilter(_filter)

    def atoms(self, resp, req, environ, request_time) -> dict:
        """gunicorn's atoms with this request's query string cut out wherever it appears
        (the request line, RAW_URI), before quotes are escaped: a raw client may send any
        byte in it, which the pattern in clinic/logs.py might stop at."""
        atoms = super().atoms(resp, req, environ, request_time)
        query = environ.get("QUERY_STRING")
        if query:
            raw = "?" + query
            for key, value in atoms.items():
                if isinstance(value, str) and raw in value:
                    atoms[key] = value.replace(raw, "?" + HIDDEN)
        return atoms
