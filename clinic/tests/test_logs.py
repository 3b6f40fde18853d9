"""The redaction every log passes through (clinic/logs.py, clinic/gunicorn_logger.py):
secret path segments, matched from the URLconf's routes, and every query string become "…".
treatments/tests/test_log_privacy.py runs the journeys against a real server."""

import datetime as dt
import io
import logging
import runpy
from types import SimpleNamespace

import pytest
from celery.signals import after_setup_logger
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from gunicorn.config import Config

from clinic import logs
from clinic.gunicorn_logger import RedactingLogger

SAMPLE = "Zq9sEcReT-tok_3n"


def token_routes(resolver: URLResolver, namespace: str = ""):
    """Every URL name in the URLconf whose route takes a `token`, with its namespace."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from token_routes(entry, inner)
        elif isinstance(entry, URLPattern) and "token" in entry.pattern.converters:
            yield namespace + entry.name


def test_every_route_that_takes_a_token_is_blanked_in_logs():
    names = sorted(token_routes(get_resolver()))
    assert names == [
        "portal:invite",
        "staff:welcome",
        "treatments:calendar_feed",
        "waitlist_offer:offer",
    ]
    for name in names:
        path = reverse(name, kwargs={"token": SAMPLE})
        for line in (f'"GET {path} HTTP/1.1" 200 12', f"Not Found: {path}",
                     f"http://clinic.example{path}?next=/"):  # fmt: skip
            assert SAMPLE not in logs.hide(line), line
            assert logs.HIDDEN in logs.hide(line)


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ('"GET /calendar/Zq9.ics HTTP/1.1" 200', '"GET /calendar/….ics HTTP/1.1" 200'),
        ("Not Found: /calendar/Zq9", "Not Found: /calendar/…"),  # without .ics: a 404 still
        ('"POST /staff/welcome/Zq9/ HTTP/1.1"', '"POST /staff/welcome/…/ HTTP/1.1"'),
        ("Gone: /portal/invite/Zq9/", "Gone: /portal/invite/…/"),
        ("/patients/?q=O'Brien+14/03/1985&page=2 x", "/patients/?… x"),
        ("/portal/login/?next=/portal/invite/Zq9/", "/portal/login/?…"),
        ('"GET /fhir/Patient/Alice%20Morgan HTTP/1.1" 404', '"GET /fhir/Patient/… HTTP/1.1" 404'),
        ("Not Found: /fhir/Patient/6f1c/$everything", "Not Found: /fhir/Patient/…"),
        ("/fhir/Appointment?patient=6f1c&date=ge2027-01-01", "/fhir/Appointment?…"),
        ("/fhir/metadata", "/fhir/metadata"),
        # Addresses that carry no secret stay readable.
        ('"GET /calendar/rotate-feed/ HTTP/1.1"', '"GET /calendar/rotate-feed/ HTTP/1.1"'),
        ("/calendar/", "/calendar/"),
        ("/portal/invite/", "/portal/invite/"),
        ("Is the broker up? yes", "Is the broker up? yes"),
    ],
)
def test_hide(line, hidden):
    assert logs.hide(line) == hidden


def test_the_filter_redacts_the_formatted_message():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        ("GET /patients/?q=Morgan HTTP/1.1", 200, 512), None,
    )  # fmt: skip
    assert logs.HideSecrets().filter(record)
    assert record.getMessage() == '"GET /patients/?… HTTP/1.1" 200 512'


def test_django_console_redacts_every_logger():
    (console,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger("treatments.anything").warning("Asked for %s", "/patients/?q=Morgan")
    finally:
        console.setStream(previous)
    assert "Morgan" not in stream.getvalue()
    assert "/patients/?…" in stream.getvalue()


def test_celery_handlers_redact():
    logger = logging.getLogger("celery-test-redaction")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO,
                                logfile=None, format="", colorize=False)  # fmt: skip
        logger.error("link %s", "http://x/staff/welcome/Zq9/")
    finally:
        logger.removeHandler(handler)
    assert handler.stream.getvalue() == "link http://x/staff/welcome/…/\n"


def access_line(tmp_path, environ, headers=(), access_log_format=None):
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    log = RedactingLogger(cfg)
    resp = SimpleNamespace(status="200 OK", sent=12, headers=[("Content-Type", "text/html")])
    req = SimpleNamespace(headers=list(headers))
    base = {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1"}
    log.access(resp, req, {**base, **environ}, dt.timedelta(milliseconds=3))
    for handler in log.access_log.handlers:
        handler.flush()
    return (tmp_path / "access.log").read_text()


def test_gunicorn_access_log_has_no_query_string_and_no_token(tmp_path):
    line = access_line(
        tmp_path,
        {
            "RAW_URI": '/patients/?q=O"Brien%20x',  # a raw client may send a quote
            "PATH_INFO": "/patients/",
            "QUERY_STRING": 'q=O"Brien%20x',
            "HTTP_REFERER": "http://clinic.example/portal/invite/Zq9/",
            "HTTP_USER_AGENT": "DAVx5/4.3",
        },
    )
    assert '"GET /patients/?… HTTP/1.1" 200 12 "http://clinic.example/portal/invite/…/"' in line
    assert "Brien" not in line
    assert "Zq9" not in line


def test_a_custom_access_format_is_redacted_too(tmp_path):
    line = access_line(
        tmp_path,
        {"RAW_URI": "/calendar/Zq9.ics?x=1", "PATH_INFO": "/calendar/Zq9.ics",
         "QUERY_STRING": "x=1"},
        headers=[("REFERER", "http://x/patients/?q=Morgan")],
        access_log_format="%(U)s %(q)s %({referer}i)s %({raw_uri}e)s %({query_string}e)s",
    )  # fmt: skip
    assert line == "/calendar/….ics … http://x/patients/?… /calendar/….ics?… …\n"


def test_gunicorn_started_in_the_project_uses_the_redacting_logger():
    config = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    assert config["logger_class"] == "clinic.gunicorn_logger.RedactingLogger"
    assert config["accesslog"] == "-"
