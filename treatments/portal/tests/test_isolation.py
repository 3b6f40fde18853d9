"""Isolation: every URL in the URL conf, walked as patient A with patient B's ids, as an
anonymous visitor, and as a patient on every staff page and endpoint (DESIGN.md §6).

The URLs come from the URL conf itself, so a new page cannot escape: a portal page must be
named in PORTAL_PAGES (or be public or staff), a URL that is reachable without logging in
must be named in PUBLIC, and a URL parameter this test cannot fill makes it fail until
someone says what the parameter is.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import secrets
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from clinic.models import AuditEvent
from patients import services as patient_services
from patients.models import Consent, IntakeSubmission, Patient, ScreeningResult
from treatments.messaging.models import Message
from treatments.portal import check_ins, invites, pre_session
from treatments.portal import services as portal
from treatments.portal.models import (
    AftercareAcknowledgement,
    CheckInAnswer,
    PortalInvite,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)
from treatments.scheduling.models import Course, Session
from treatments.scheduling.tests.factories import CourseFactory, PractitionerFactory

from .helpers import (
    booked_session,
    client_for,
    completed_session,
    expiring_answers,
    intake,
    portal_patient,
)

pytestmark = pytest.mark.django_db

# Reachable without logging in (name, or module.function for unnamed patterns), and why.
PUBLIC = {
    "login": "the staff login",
    "logout": "logging out",
    "healthz": "the load balancer's probe",
    "api-token": "POST username and password for an API token",
    "clinic.api.api_not_found": "unknown /api/ URLs: a 404 in the error shape",
    "treatments.exchange.api.fhir_not_found": "unknown /fhir/ URLs: a 404 OperationOutcome",
    "treatments:calendar_feed": "a practitioner's .ics feed, by its secret token",
    "portal:login": "the portal's login",
    "portal:logout": "logging out of the portal",
    "portal:invite": "a one-time link, by its token",
    "waitlist_offer:offer": "a waitlist offer's link, by its token (treatments/waitlist)",
    "portal:reset": "asking for a password reset link",
    "staff:welcome": "a staff invitation's one-time link, by its token",
    "admin:login": "the admin's own login (staff with is_staff only)",
    "admin:logout": "logging out of the admin",
}
# The patient's own portal pages: only a patient's account, only their own records.
PORTAL_PAGES = {
    "portal:home",
    "portal:aftercare_latest",
    "portal:aftercare",
    "portal:aftercare_acknowledge",
    "portal:check_in",
    "portal:pre_session_next",
    "portal:pre_session",
    "portal:sessions",
    "portal:session_ics",
    "portal:change_request",
    "portal:preferences",
    "portal:after_your_visit",
    "portal:questions",
    "portal:book",
    "portal:book_move",
    "portal:book_next",
    "portal:waitlist_join",
    "portal:waitlist_leave",
    "portal:book_request",
    "portal:my_data_pdf",
    "portal:my_data_fhir",
}
UUID_PARAMS = {
    "public_id",
    "session_id",
    "flag_id",
    "check_in_id",
    "check_id",
    "request_id",
    "patient_id",
    "course_id",
}
OTHER_PARAMS = {
    "token",
    "kind",
    "id",
    "object_id",
    "content_type_id",
    "app_label",
    "url",
    "resource_type",  # FHIR's read API
    "resource_id",
}
LOGIN_PAGES = ("/login/", "/portal/login/", "/admin/login/")


@dataclass(frozen=True)
class Route:
    parts: tuple[tuple[str, str], ...]  # (pattern text, "route" | "regex")
    name: str  # "namespace:name", or module.function when unnamed

    @property
    def text(self) -> str:
        return "".join(p for p, _ in self.parts)

    @property
    def kind(self) -> str:
        if self.name in PUBLIC:
            return "public"
        if self.name in PORTAL_PAGES:
            return "portal"
        if self.name.startswith("admin:"):
            return "admin"
        if self.text.startswith(("api/", "fhir/")):  # FHIR's read API is the API's too
            return "api"
        return "staff"

    def params(self) -> list[str]:
        found = []
        for text, style in self.parts:
            if style == "route":
                found += [m.group(2) for m in re.finditer(r"<(?:(\w+):)?(\w+)>", text)]
            else:
                found += re.findall(r"\(\?P<(\w+)>", text)
        return found

    def path(self, values: dict[str, str]) -> str:
        out = ""
        for text, style in self.parts:
            if style == "route":
                out += re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), text)
            else:
                piece = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), text)
                piece = piece.removeprefix("^").removesuffix("$")
                if re.search(r"[\\()\[\]*+?|^$]", piece):
                    pytest.fail(f"Cannot build a URL from the pattern {self.text!r}: classify it.")
                out += piece
        return "/" + out


def routes() -> list[Route]:
    """Every URL pattern in the URL conf, nested includes and namespaces followed."""

    def walk(resolver, parts, namespace):
        for pattern in resolver.url_patterns:
            style = "regex" if isinstance(pattern.pattern, RegexPattern) else "route"
            if not isinstance(pattern.pattern, RegexPattern | RoutePattern):
                pytest.fail(f"Unknown pattern type {type(pattern.pattern)}: classify it.")
            here = (*parts, (str(pattern.pattern), style))
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern, here, inner)
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                else:
                    callback = pattern.callback
                    name = f"{callback.__module__}.{callback.__qualname__}"
                yield Route(parts=here, name=name)

    return list(walk(get_resolver(), (), ""))


@dataclass
class World:
    a: Patient
    b: Patient
    b_ids: dict[str, uuid.UUID]  # every object of B's that has a public id
    b_practitioner_id: int
    b_words: list[str]  # what must never show on A's pages


@pytest.fixture
def world(front_desk_user, mailoutbox) -> World:
    """Two patients with portal accounts; B has one of everything the portal knows."""
    practitioner = PractitionerFactory(display_name="Priya Shah")
    now = timezone.now()
    a = portal_patient(first_name="Alice", last_name="Abbott")
    completed_session(a, at=now - dt.timedelta(days=3), practitioner=practitioner)
    b = portal_patient(first_name="Beatrix", last_name="Potterton", email="bea@example.com")
    b_user = b.portal_user
    with_b_intake = intake(b, front_desk_user)
    consent = patient_services.consent_sign(
        patient=b, kind="treatment", signed_name=b.full_name, agreed=True, by=front_desk_user
    )
    course = CourseFactory(patient=b, practitioner=practitioner)
    done = completed_session(b, at=now - dt.timedelta(days=8), course=course, number=1)
    booked = booked_session(b, at=now + dt.timedelta(days=3), course=course, number=2)
    message = Message.objects.create(
        patient=b, session=booked, kind="reminder_24h", channel="email", due_at=booked.starts_at
    )
    portal.aftercare_acknowledge(session=done, stage="week_1", by=b_user)
    answer = check_ins.check_in_submit(
        session=done, skin="improving", warning_signs=["infection"], note="", photo=None, by=b_user
    )
    check = pre_session.pre_session_submit(
        session=booked, answers=expiring_answers(pregnant_or_breastfeeding=True), by=b_user
    )
    change = portal.change_request_create(session=booked, kind="move", note="", by=b_user)
    invite = invites.invite_send(patient=b, by=front_desk_user)
    ids = {
        "patient": b.public_id,
        "course": course.public_id,
        "completed session": done.public_id,
        "booked session": booked.public_id,
        "intake": with_b_intake.public_id,
        "screening": with_b_intake.screening.public_id,
        "pre-session intake": check.submission.public_id,
        "consent": consent.public_id,
        "message": message.public_id,
        "check-in": answer.public_id,
        "reaction flag": answer.flag.public_id,
        "pre-session check": check.public_id,
        "change request": change.public_id,
        "invite": invite.public_id,
    }
    words = ["Beatrix", "Potterton", "bea@example.com", *(str(v) for v in ids.values())]
    return World(a=a, b=b, b_ids=ids, b_practitioner_id=practitioner.pk, b_words=words)


def fingerprint() -> dict:
    """What a refused request must not have changed (audit rows of reads aside)."""
    counted = [
        Patient, IntakeSubmission, ScreeningResult, Consent, Course, Session, Message,
        PortalInvite, AftercareAcknowledgement, CheckInAnswer, ReactionFlag, PreSessionCheck,
        SessionChangeRequest,
    ]  # fmt: skip
    state = {m.__name__: m.objects.count() for m in counted}
    state["sessions"] = sorted(Session.objects.values_list("pk", "status", "starts_at"))
    state["flags"] = sorted(ReactionFlag.objects.values_list("pk", "cleared_at"))
    state["requests"] = sorted(SessionChangeRequest.objects.values_list("pk", "status"))
    state["messages"] = sorted(Message.objects.values_list("pk", "status", "channel"))
    state["patients"] = sorted(
        Patient.objects.values_list("pk", "email_consent", "sms_consent", "archived_at")
    )
    state["writes"] = AuditEvent.objects.exclude(action__in=["view", "list"]).count()
    return state


def fills(route: Route, world: World, *, all_ids: bool) -> list[dict[str, str]]:
    """Every way to fill the route's parameters with patient B's ids (or one when not
    `all_ids`). A parameter this test does not know fails the test: classify it here."""
    options: dict[str, list] = {}
    for name in route.params():
        if name in UUID_PARAMS:
            ids = list(world.b_ids.values())
            options[name] = ids if all_ids else [world.b_ids["booked session"]]
        elif name == "token":
            options[name] = [secrets.token_urlsafe(24)]
        elif name == "kind":
            options[name] = ["treatment"]
        elif name == "id":
            options[name] = [world.b_practitioner_id]
        elif name == "object_id":
            options[name] = [world.b.pk]
        elif name == "content_type_id":
            options[name] = [1]
        elif name == "app_label":
            options[name] = ["patients"]
        elif name == "url":
            options[name] = ["no-such-page/"]
        elif name == "resource_type":  # FHIR: B's own record, by the id the API shows
            options[name] = ["Patient"]
        elif name == "resource_id":
            options[name] = [world.b.public_id]
        else:
            pytest.fail(f"{route.name} ({route.text}) has a parameter {name!r}: classify it.")
    keys = list(options)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*options.values())]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN_PAGES)


# --- The URL conf is fully classified ------------------------------------------------------


def test_every_url_in_the_conf_is_classified():
    found = routes()
    assert len(found) > 50
    names = {r.name for r in found}
    for route in found:
        if route.name.startswith("portal:") and route.kind == "staff":
            assert route.name.startswith("portal:staff"), (
                f"{route.name} is a new portal page: add it to PORTAL_PAGES or PUBLIC."
            )
        for name in route.params():
            assert name in UUID_PARAMS | OTHER_PARAMS, (
                f"{route.name} has a parameter {name!r} this test cannot fill: classify it."
            )
    assert not (set(PUBLIC) | PORTAL_PAGES) - names, "a listed URL no longer exists"


# --- Anonymous visitors ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_or_get_a_401(world):
    before = fingerprint()
    for route in routes():
        if route.kind == "public":
            continue
        for values in fills(route, world, all_ids=False):
            path = route.path(values)
            client = APIClient()
            response = client.get(path)
            if response.status_code == 405:  # a POST-only URL: what it protects is the POST
                response = client.post(path, {})
            if route.kind == "api":
                assert response.status_code == 401, (route.name, path, response.status_code)
            else:
                assert is_login_redirect(response), (route.name, path, response.status_code)
    assert fingerprint() == before


def test_public_urls_show_nothing_of_any_patient(world):
    for route in routes():
        if route.kind != "public":
            continue
        for values in fills(route, world, all_ids=False):
            response = Client().get(route.path(values))
            assert response.status_code < 500, route.name
            body = response.content.decode(errors="replace")
            for word in world.b_words:
                assert word not in body, (route.name, word)


# --- A patient on staff pages and endpoints --------------------------------------------------


def test_a_patient_gets_403_or_a_redirect_on_staff_pages_and_404_from_the_api(world):
    client = client_for(world.a.portal_user)
    before = fingerprint()
    checked = 0
    for route in routes():
        if route.kind not in ("staff", "api", "admin"):
            continue
        for values in fills(route, world, all_ids=route.kind == "api"):
            path = route.path(values)
            get = client.get(path)
            post = client.post(path, {}, content_type="application/json")
            for response in (get, post):
                body = response.content.decode(errors="replace")
                for word in world.b_words[:3]:
                    assert word not in body, (route.name, path, word)
            if route.kind == "api":
                stranger = route.path({k: uuid.uuid4() if k in UUID_PARAMS else v
                                       for k, v in values.items()})  # fmt: skip
                # The staff API does not exist for a patient: 404, never a 403 that confirms it.
                assert get.status_code in (404, 405), (route.name, path, get.status_code)
                assert post.status_code in (404, 405), (route.name, path, post.status_code)
                # The answer for B's id is the answer for an id that names nothing.
                assert client.get(stranger).status_code == get.status_code, (route.name, path)
            else:
                refused = [r for r in (get, post) if r.status_code != 405]
                assert refused, (route.name, path)
                for response in refused:
                    assert response.status_code == 403 or (
                        response.status_code == 302
                        and response["Location"].startswith((*LOGIN_PAGES, "/portal/"))
                    ), (route.name, path, response.status_code)
            checked += 1
    assert checked > 50
    assert fingerprint() == before


# --- Patient A with patient B's ids -----------------------------------------------------------


def test_patient_a_gets_404_for_every_portal_url_with_patient_bs_ids(world):
    client = client_for(world.a.portal_user)
    before = fingerprint()
    checked = 0
    for route in routes():
        if route.kind != "portal" or not route.params():
            continue
        for values in fills(route, world, all_ids=True):
            path = route.path(values)
            for method in ("get", "post"):
                response = getattr(client, method)(path, {"stage": "day_0", "skin": "settled",
                                                          "kind": "cancel"})  # fmt: skip
                assert response.status_code in (404, 405), (route.name, path, method,
                                                            response.status_code)  # fmt: skip
                if response.status_code == 404:
                    checked += 1
    assert checked >= len(world.b_ids) * 6
    assert fingerprint() == before


def readable(response) -> str:
    """A page's text, or a PDF's (the portal's "Download my data")."""
    if response["Content-Type"] == "application/pdf":
        return " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
    return response.content.decode()


def test_portal_pages_without_ids_show_only_the_patients_own_records(world):
    client = client_for(world.a.portal_user)
    for route in routes():
        if route.kind != "portal" or route.params():
            continue
        response = client.get(route.path({}), follow=True)
        assert response.status_code == 200, route.name
        body = readable(response)
        own = ("portal:home", "portal:my_data_pdf", "portal:my_data_fhir")
        assert "Alice" in body or route.name not in own, route.name
        for word in world.b_words:
            assert word not in body, (route.name, word)


def test_patient_b_can_open_their_own_pages(world):
    """The same walk, as B: so the 404s above are about whose records, not broken pages."""
    client = client_for(world.b.portal_user)
    done, booked = world.b_ids["completed session"], world.b_ids["booked session"]
    for path in (
        f"/portal/aftercare/{done}/",
        f"/portal/aftercare/{done}/check-in/",
        f"/portal/pre-session-check/{booked}/",
        f"/portal/sessions/{booked}.ics",
        f"/portal/sessions/{booked}/change/",
    ):
        assert client.get(path).status_code == 200, path


def test_models_hold_no_patient_data_in_urls():
    """Paths carry ids and tokens, never names, e-mails or phone numbers (DESIGN.md §6)."""
    for route in routes():
        for name in route.params():
            assert not re.search(r"name|email|phone|birth", name), route.name
