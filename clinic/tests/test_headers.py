"""Response headers (issue 12 item 4): a strict Content-Security-Policy, Permissions-Policy,
no caching of anything the app builds, and proxy headers trusted only when told."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from clinic.audit import client_ip
from clinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    client = Client()
    client.force_login(UserFactory(username="desk", role="front_desk"))
    return client


def test_every_page_carries_a_csp_with_no_inline_script_or_style(desk):
    policy = desk.get("/patients/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_and_api_responses_are_never_stored(desk):
    for path in ("/patients/", "/api/patients/", "/", "/login/"):
        response = desk.get(path)
        assert "no-store" in response["Cache-Control"], path
        assert "camera=()" in response["Permissions-Policy"], path


def test_static_files_stay_cacheable():
    """WhiteNoise answers static files before the no-store middleware sees them."""
    order = settings.MIDDLEWARE
    whitenoise = order.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert whitenoise < order.index("clinic.middleware.PrivateResponsesMiddleware")


# Templates weasyprint turns into PDFs (never served as pages): their <style> is the PDF's.
PDF_TEMPLATES = ("portal/aftercare_sheet.html", "exchange/record.html")


def test_no_template_needs_inline_script_style_or_handlers():
    """What the policy would block in a browser: inline <script>, style attributes and
    on…= handlers in any template served as a page (e-mails and the PDFs' sources are not)."""
    root = Path(settings.BASE_DIR) / "templates"
    served = [
        p
        for p in root.rglob("*.html")
        if "emails" not in p.parts and p.relative_to(root).as_posix() not in PDF_TEMPLATES
    ]
    problems = []
    for path in served:
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle=", r"\son[a-z]+=", r"<style"):
            if re.search(pattern, text):
                problems.append(f"{path.relative_to(root)}: {pattern}")
    assert not problems, problems


def test_x_forwarded_proto_is_ignored_unless_proxies_are_trusted(desk):
    assert not desk.get("/patients/", HTTP_X_FORWARDED_PROTO="https").wsgi_request.is_secure()


def test_the_client_address_comes_from_the_proxy_only_when_trusted(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"
    settings.TRUST_PROXY_HEADERS = True
    assert client_ip(request) == "10.0.0.9"  # the hop our proxy added, not the client's own
    forged = rf.get("/", HTTP_X_FORWARDED_FOR="not an address", REMOTE_ADDR="10.0.0.1")
    assert client_ip(forged) == "10.0.0.1"
