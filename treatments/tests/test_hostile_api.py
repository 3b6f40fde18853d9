"""Every API operation, fed hostile values, answers below 500 (issue 12 item 1).

The walk reads the OpenAPI schema, so a new endpoint joins it by existing: each path
parameter names a real object of a small clinic (so the body is read, not refused as a 404
first), then every request-body field and every query parameter is sent each value of
HOSTILE in turn, and every operation gets the raw bodies of RAW. Nothing may be a 5xx.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from clinic.models import Role
from clinic.tests.factories import UserFactory
from clinic.tests.hostile import HOSTILE
from clinic.tokens import token_issue
from treatments.messaging.models import Message
from treatments.scheduling.models import DeviceOutage, TimeOff, WorkingHours
from treatments.waitlist.models import FreedSlot, WaitlistEntry

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)

# Whole bodies no JSON parser should be made to swallow.
RAW: dict[str, bytes] = {
    "deep": b"[" * 5000 + b"]" * 5000,
    "nan": b'{"a": NaN}',
    "huge-float": b'{"a": 1e999}',
    "long-int": b'{"a": ' + b"9" * 5000 + b"}",
    "not-utf8": b'{"a": "\xff\xfe"}',
    "truncated": b'{"a": ',
}
QUERY_VALUES = {k: v for k, v in HOSTILE.items() if isinstance(v, str)}

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def body_fields(operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if not schema:
        return []
    return sorted(_resolve(schema).get("properties", {}))


def query_params(operation: dict) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


@pytest.fixture
def world(clinic, acne_protocol, front_desk_user, practitioner_user):
    with time_machine.travel(NOW, tick=False):
        [session, *_] = clinic.book(
            starts=[dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)],
            protocol=acne_protocol,
            planner=practitioner_user,
            desk=front_desk_user,
        )
        patient = session.patient
        planned = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
        everyone = UserFactory(username="hostile", role=Role.FRONT_DESK)
        everyone.groups.add(*Group.objects.filter(name__in=[Role.PRACTITIONER, Role.MANAGER]))
        token, _ = token_issue(user=everyone)
        ids = {
            "patients": patient.public_id,
            "courses": session.course.public_id,
            "planned": planned.public_id,
            "sessions": session.public_id,
            "screenings": patient.screenings.latest("screened_at").public_id,
            "messages": Message.objects.filter(patient=patient).first().public_id,
            "practitioners": clinic.practitioner.pk,
            "devices": clinic.device.pk,
            "rooms": clinic.rooms[0].pk,
            "protocols": acne_protocol.pk,
            "staff": front_desk_user.pk,
            "tokens": token.pk,
            "outages": DeviceOutage.objects.create(
                device=clinic.device, starts_at=NOW + dt.timedelta(days=90),
                ends_at=NOW + dt.timedelta(days=91),
            ).pk,
            "time-off": TimeOff.objects.create(
                practitioner=clinic.practitioner, starts_at=NOW + dt.timedelta(days=90),
                ends_at=NOW + dt.timedelta(days=91),
            ).pk,
            "working-hours": WorkingHours.objects.filter(practitioner=clinic.practitioner)
            .first()
            .pk,
            "waitlist": WaitlistEntry.objects.create(
                course=session.course, patient=patient, earliest=dt.date(2026, 3, 3),
                latest=dt.date(2026, 3, 30), due_on=dt.date(2026, 3, 16),
            ).public_id,
            "slots": FreedSlot.objects.create(
                practitioner=clinic.practitioner, room=clinic.rooms[1],
                starts_at=dt.datetime(2026, 3, 10, 10, tzinfo=LONDON),
                ends_at=dt.datetime(2026, 3, 10, 12, tzinfo=LONDON), next_check_at=NOW,
            ).public_id,
        }  # fmt: skip
        client = APIClient()
        client.force_login(everyone)
        yield client, ids


def concrete(path: str, ids: dict) -> str:
    """`/api/courses/{public_id}/book/` → the world's course; the id follows its segment."""

    def fill(match: re.Match) -> str:
        segment = match.group(1)
        return f"/{segment}/{ids[segment]}/"

    return re.sub(r"/([a-z-]+)/\{[a-z_]+\}/", fill, path)


def operations():
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def test_no_hostile_value_in_any_field_or_query_parameter_is_a_5xx(world):
    client, ids = world
    tried, failures = 0, []
    with time_machine.travel(NOW, tick=False):
        for path, method, operation in operations():
            url = concrete(path, ids)
            send = getattr(client, method)
            for field in body_fields(operation):
                for name, value in HOSTILE.items():
                    response = send(url, {field: value}, format="json")
                    tried += 1
                    if response.status_code >= 500:
                        failures.append(f"{method.upper()} {url} {field}={name}")
            for param in query_params(operation):
                for name, value in QUERY_VALUES.items():
                    response = send(f"{url}?{param}={_quoted(value)}")
                    tried += 1
                    if response.status_code >= 500:
                        failures.append(f"{method.upper()} {url}?{param}={name}")
            if method in ("post", "patch", "put"):
                for name, raw in RAW.items():
                    response = client.generic(
                        method.upper(), url, raw, content_type="application/json"
                    )
                    tried += 1
                    if response.status_code >= 500:
                        failures.append(f"{method.upper()} {url} body={name}")
    print(f"hostile API walk: {tried} requests, {len(failures)} answered 5xx")
    assert tried > 1000
    assert not failures, "\n".join(failures)


def _quoted(value: str) -> str:
    return quote(value, safe="")


def test_a_session_at_the_end_of_time_is_refused_not_booked(world):
    client, ids = world
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/api/sessions/{ids['sessions']}/reschedule/",
            {"starts_at": "9999-12-31T10:00:00Z"},
            format="json",
        )
    assert response.status_code == 400
    assert "Choose a date from" in json.dumps(response.json())


DEEP = b"[" * 5000 + b"]" * 5000


def _book(at: str) -> dict:
    return {"sessions": [{"starts_at": at, "room": 0}]}


# The hostile inputs the issue reproduced on main, each with the answer it now gets.
ISSUE_CASES = [
    ("token endpoint, JSON 5,000 deep", "POST", "/api/auth/token/", DEEP, 400),
    ("register, JSON 5,000 deep", "POST", "/api/patients/", DEEP, 400),
    ("intake, JSON 5,000 deep", "POST", "/api/patients/{patients}/intakes/", DEEP, 400),
    ("search with a NUL", "GET", "/api/patients/?search=ab%00c", None, 400),
    ("book at 0001-01-01T00:00:00Z", "POST", "/api/courses/{planned}/book/",
     _book("0001-01-01T00:00:00Z"), 400),
    ("book at 9999-12-31T23:00:00Z", "POST", "/api/courses/{planned}/book/",
     _book("9999-12-31T23:00:00Z"), 400),
    ("book at 9999-12-31T10:00:00Z", "POST", "/api/courses/{planned}/book/",
     _book("9999-12-31T10:00:00Z"), 400),
    ("reschedule to late 9999-12-31", "POST", "/api/sessions/{sessions}/reschedule/",
     {"starts_at": "9999-12-31T23:59:59-12:00"}, 400),
    ("proposal ?start=9999-12-31", "GET", "/api/courses/{planned}/proposal/?start=9999-12-31",
     None, 400),
    ("course page ?start=9999-12-31", "GET", "/courses/{planned}/?start=9999-12-31", None, 200),
    ("calendar ?start=0001-01-01", "GET", "/api/sessions/?start=0001-01-01&end=0001-01-08",
     None, 400),
    ("body over the size limit", "POST", "/api/patients/", b'{"a": "' + b"x" * 1_100_000 + b'"}',
     413),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "method", "path", "body", "status"), ISSUE_CASES, ids=[c[0] for c in ISSUE_CASES]
)
def test_each_hostile_input_the_issue_found_gets_its_answer(
    world, what, method, path, body, status
):
    client, ids = world
    url = path.format(**ids)
    with time_machine.travel(NOW, tick=False):
        if isinstance(body, bytes):
            response = client.generic(method, url, body, content_type="application/json")
        elif body is not None:
            if "sessions" in body:  # in the world's room
                body = {"sessions": [{**body["sessions"][0], "room": ids["rooms"]}]}
            response = client.generic(
                method, url, json.dumps(body), content_type="application/json"
            )
        else:
            response = client.generic(method, url)
    print(f"{what}: {response.status_code}")
    assert response.status_code == status, response.content[:300]
