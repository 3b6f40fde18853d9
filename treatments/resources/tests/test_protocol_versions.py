"""Protocol versions: an edit makes a new version, booked courses keep theirs, new courses get
the current one (issue 11)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from clinic.errors import Conflict, Invalid
from clinic.models import AuditEvent
from treatments.resources import services
from treatments.scheduling import services as scheduling
from treatments.scheduling.forms import CourseForm
from treatments.scheduling.models import Protocol
from treatments.scheduling.protocols import seed_protocols

from .conftest import at, local

pytestmark = pytest.mark.django_db


def _acne() -> Protocol:
    return Protocol.objects.current().get(indication="acne_scars")


def test_an_edit_makes_the_next_version_and_keeps_the_old_one_unchanged(manager_user):
    first = _acne()
    revised = services.protocol_revise(
        protocol=first,
        changes={"session_minutes": 90, "min_interval_days": 21, "default_interval_days": 30},
        by=manager_user,
    )
    first.refresh_from_db()
    assert (first.version, first.is_current, first.session_minutes) == (1, False, 120)
    assert (revised.version, revised.is_current, revised.session_minutes) == (2, True, 90)
    assert revised.depth_ranges == first.depth_ranges  # copied
    assert revised.created_by == manager_user
    assert _acne() == revised
    row = AuditEvent.objects.get(object_type="treatments.protocol")
    assert row.detail["supersedes"] == first.pk
    assert sorted(row.detail["changed"]) == [
        "default_interval_days",
        "min_interval_days",
        "session_minutes",
    ]


def test_a_booked_course_keeps_its_versions_values(clinic, book, manager_user, front_desk_user):
    """Planned on version 1 (120 minutes, 14 days apart at least): after version 2 (90
    minutes, 21 days) the course still has version 1, and a move 14 days from its other
    session is still allowed by version 1's minimum."""
    first, second = book(local(2026, 3, 10, 10), local(2026, 4, 7, 10))
    services.protocol_revise(
        protocol=first.course.protocol,
        changes={"session_minutes": 90, "min_interval_days": 21, "default_interval_days": 28},
        by=manager_user,
    )
    first.course.refresh_from_db()
    assert first.course.protocol.version == 1
    assert first.course.protocol.min_interval_days == 14
    with at(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)):
        moved = scheduling.session_reschedule(
            session=second, starts_at=local(2026, 3, 24, 10), by=front_desk_user
        )
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=120)


def test_new_courses_are_offered_only_the_current_version(manager_user):
    first = _acne()
    revised = services.protocol_revise(
        protocol=first, changes={"name": "Acne scars (2026)"}, by=manager_user
    )
    offered = list(CourseForm().fields["protocol"].queryset)
    assert revised in offered
    assert first not in offered
    assert len(offered) == Protocol.objects.current().count() == 5


def test_the_course_api_refuses_a_superseded_version_and_takes_the_current_one(
    clinic, manager_user, practitioner_client, front_desk_user
):
    first = _acne()
    revised = services.protocol_revise(
        protocol=first, changes={"session_minutes": 90}, by=manager_user
    )
    patient = clinic.screened_patient(front_desk_user)
    body = {
        "patient": str(patient.public_id),
        "practitioner": clinic.practitioner.pk,
        "areas": ["cheeks"],
    }
    old = practitioner_client.post("/api/courses/", {**body, "protocol": first.pk}, format="json")
    assert old.status_code == 400
    assert old.json()["error"]["fields"] == {"protocol": ["No such protocol."]}
    new = practitioner_client.post("/api/courses/", {**body, "protocol": revised.pk}, format="json")
    assert new.status_code == 201, new.json()
    listed = practitioner_client.get("/api/protocols/").json()["results"]
    assert {p["id"] for p in listed if p["indication"] == "acne_scars"} == {revised.pk}


def test_only_the_current_version_can_be_edited(manager_user):
    first = _acne()
    services.protocol_revise(protocol=first, changes={"name": "Acne scars"}, by=manager_user)
    with pytest.raises(Conflict):
        services.protocol_revise(protocol=first, changes={"name": "Again"}, by=manager_user)
    assert Protocol.objects.filter(indication="acne_scars").count() == 2


def test_an_edit_that_changes_nothing_is_refused(manager_user):
    first = _acne()
    with pytest.raises(Invalid) as refused:
        services.protocol_revise(protocol=first, changes={"name": first.name}, by=manager_user)
    assert "Nothing to save" in refused.value.message
    assert Protocol.objects.filter(indication="acne_scars").count() == 1


def test_every_problem_with_an_edit_comes_at_once(manager_user):
    with pytest.raises(Invalid) as refused:
        services.protocol_revise(
            protocol=_acne(),
            changes={
                "name": "",
                "default_sessions": 0,
                "min_interval_days": 30,
                "default_interval_days": 28,
                "session_minutes": True,
                "depth_ranges": {"cheeks": {"flag_above": 2.0, "max": 3.0}},
            },
            by=manager_user,
        )
    assert set(refused.value.fields) == {
        "name",
        "default_sessions",
        "default_interval_days",
        "session_minutes",
        "depth_ranges",
    }
    assert refused.value.fields["depth_ranges"] == ["cheeks: the maximum is at most 2.5 mm (§2.2)."]


@pytest.mark.parametrize(
    "ranges",
    [
        [],
        {"elbow": {"flag_above": 1, "max": 1}},
        {"cheeks": {"flag_above": "NaN", "max": 1}},
        {"cheeks": {"flag_above": float("inf"), "max": 1}},
        {"cheeks": {"flag_above": 1, "max": 1, "colour": "red"}},
        {"cheeks": {"flag_above": 1, "max": 1, "start": [1.5, 0.5]}},
        {"cheeks": {"flag_above": 2, "max": 1.5}},
        {"cheeks": "deep"},
    ],
)
def test_depth_ranges_that_make_no_sense_are_refused(manager_user, ranges):
    with pytest.raises(Invalid) as refused:
        services.protocol_revise(
            protocol=_acne(), changes={"depth_ranges": ranges}, by=manager_user
        )
    assert "depth_ranges" in refused.value.fields


def test_two_current_versions_of_one_indication_cannot_exist(manager_user):
    first = _acne()
    with pytest.raises(IntegrityError), transaction.atomic():
        Protocol.objects.create(
            indication="acne_scars",
            version=2,
            name="Second",
            default_sessions=4,
            session_minutes=90,
        )
    assert first.is_current


def test_seeding_again_leaves_the_managers_versions_alone(manager_user):
    revised = services.protocol_revise(
        protocol=_acne(), changes={"notes": "Our own."}, by=manager_user
    )
    assert seed_protocols(Protocol) == 0
    assert _acne() == revised
