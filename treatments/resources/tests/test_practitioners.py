"""Practitioners, working hours and time off: each rule, every problem in one answer, audit
rows, and time off typed across the spring-forward day (issue 11)."""

import datetime as dt

import pytest

from clinic.errors import Invalid
from clinic.models import AuditEvent, Role
from clinic.tests.factories import PatientUserFactory, UserFactory
from treatments.resources import services
from treatments.resources.forms import WindowForm
from treatments.resources.stranding import Stranded
from treatments.scheduling.models import Practitioner, TimeOff, WorkingHours
from treatments.scheduling.tests.factories import PractitionerFactory

from .conftest import LONDON, at, local

pytestmark = pytest.mark.django_db


def _fields(refused) -> dict:
    return refused.value.fields


# --- Practitioners ---------------------------------------------------------------------------


def test_a_practitioner_links_an_active_account_with_the_practitioner_role(manager_user):
    account = UserFactory(username="new", role=Role.PRACTITIONER)
    practitioner = services.practitioner_create(
        user=account, display_name="  Dr Ada Lee ", by=manager_user
    )
    assert (practitioner.user, practitioner.display_name, practitioner.active) == (
        account,
        "Dr Ada Lee",
        True,
    )
    row = AuditEvent.objects.get(object_type="treatments.practitioner", action="create")
    assert row.actor == manager_user


@pytest.mark.parametrize(
    "account",
    [
        lambda: UserFactory(username="desk2", role=Role.FRONT_DESK),
        lambda: UserFactory(username="gone", role=Role.PRACTITIONER, is_active=False),
        lambda: PatientUserFactory(username="patient"),
        lambda: PractitionerFactory().user,  # already linked
    ],
    ids=["front desk only", "deactivated", "patient", "already a practitioner"],
)
def test_only_an_unlinked_active_practitioner_account_can_be_linked(account, manager_user):
    user = account()
    with pytest.raises(Invalid) as refused:
        services.practitioner_create(user=user, display_name="X", by=manager_user)
    assert "user" in _fields(refused)


def test_every_problem_with_a_new_practitioner_comes_at_once(manager_user):
    with pytest.raises(Invalid) as refused:
        services.practitioner_create(user=None, display_name="  ", by=manager_user)
    assert set(_fields(refused)) == {"user", "display_name"}
    assert not Practitioner.objects.exists()


def test_a_practitioner_with_nothing_ahead_can_leave_the_rota_and_return(clinic, manager_user):
    with at(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        services.practitioner_update(
            practitioner=clinic.practitioner, display_name="Priya", active=False, by=manager_user
        )
        clinic.practitioner.refresh_from_db()
        assert (clinic.practitioner.display_name, clinic.practitioner.active) == ("Priya", False)
        services.practitioner_update(
            practitioner=clinic.practitioner, display_name="Priya", active=True, by=manager_user
        )
    row = AuditEvent.objects.filter(object_type="treatments.practitioner").first()
    assert row.detail == {"active": [False, True]}


# --- Working hours ---------------------------------------------------------------------------


def test_hours_are_added_on_the_wall_clock(clinic, manager_user):
    hours = services.working_hours_create(
        practitioner=clinic.practitioner,
        weekday=5,
        start=dt.time(10),
        end=dt.time(14),
        by=manager_user,
    )
    assert str(hours) == "Saturday 10:00–14:00"
    assert AuditEvent.objects.get(object_type="treatments.workinghours").detail == {
        "weekday": 5,
        "start": "10:00:00",
        "end": "14:00:00",
    }


@pytest.mark.parametrize(
    ("weekday", "start", "end", "fields"),
    [
        (7, dt.time(9), dt.time(8), {"weekday", "end"}),  # both problems at once
        (5, dt.time(12), dt.time(12), {"end"}),
        (5, dt.time(9), dt.time(9, tzinfo=dt.UTC), {"end"}),  # a time with a zone
        (0, dt.time(16), dt.time(18), {"start"}),  # overlaps Monday 09:00-17:00
        (0, dt.time(7), dt.time(10), {"start"}),
    ],
)
def test_hours_that_break_a_rule_are_refused_with_each_problem(
    clinic, manager_user, weekday, start, end, fields
):
    with pytest.raises(Invalid) as refused:
        services.working_hours_create(
            practitioner=clinic.practitioner, weekday=weekday, start=start, end=end, by=manager_user
        )
    assert set(_fields(refused)) == fields
    assert WorkingHours.objects.filter(practitioner=clinic.practitioner).count() == 5


def test_windows_that_touch_do_not_overlap(clinic, manager_user):
    monday = clinic.practitioner.working_hours.get(weekday=0)
    with at(dt.datetime(2026, 3, 2, 7, tzinfo=dt.UTC)):
        services.working_hours_update(
            hours=monday, weekday=0, start=dt.time(9), end=dt.time(12), by=manager_user
        )
    services.working_hours_create(
        practitioner=clinic.practitioner,
        weekday=0,
        start=dt.time(12),
        end=dt.time(17),
        by=manager_user,
    )
    assert clinic.practitioner.working_hours.filter(weekday=0).count() == 2


def test_an_unchanged_window_writes_nothing(clinic, manager_user):
    monday = clinic.practitioner.working_hours.get(weekday=0)
    services.working_hours_update(
        hours=monday, weekday=0, start=dt.time(9), end=dt.time(17), by=manager_user
    )
    assert not AuditEvent.objects.filter(object_type="treatments.workinghours").exists()


# --- Time off --------------------------------------------------------------------------------


def test_time_off_that_breaks_a_rule_is_refused_with_each_problem(clinic, manager_user):
    start = local(2026, 6, 1, 9)
    with pytest.raises(Invalid) as refused:
        services.time_off_create(
            practitioner=clinic.practitioner,
            starts_at=start.replace(tzinfo=None),  # names no instant
            ends_at=start,
            reason="x" * 201,
            by=manager_user,
        )
    assert set(_fields(refused)) == {"starts_at", "reason"}
    cases = [
        (start, start, "ends_at"),
        (start, start + dt.timedelta(days=367), "ends_at"),
    ]
    for starts_at, ends_at, field in cases:
        with pytest.raises(Invalid) as refused:
            services.time_off_create(
                practitioner=clinic.practitioner,
                starts_at=starts_at,
                ends_at=ends_at,
                by=manager_user,
            )
        assert set(_fields(refused)) == {field}
    assert not TimeOff.objects.exists()


def test_time_off_may_not_overlap_other_time_off(clinic, manager_user):
    services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=local(2026, 6, 1),
        ends_at=local(2026, 6, 3),
        by=manager_user,
    )
    with pytest.raises(Invalid) as refused:
        services.time_off_create(
            practitioner=clinic.practitioner,
            starts_at=local(2026, 6, 2),
            ends_at=local(2026, 6, 5),
            by=manager_user,
        )
    assert "Overlaps time off from Mon 1 Jun 2026, 00:00" in _fields(refused)["starts_at"][0]


def test_time_off_is_changed_and_removed_with_audit_rows(clinic, manager_user):
    off = services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=local(2026, 6, 1),
        ends_at=local(2026, 6, 3),
        by=manager_user,
    ).obj
    services.time_off_update(
        time_off=off,
        starts_at=local(2026, 6, 1),
        ends_at=local(2026, 6, 4),
        reason="Conference",
        by=manager_user,
    )
    services.time_off_delete(time_off=off, by=manager_user)
    assert not TimeOff.objects.exists()
    actions = list(
        AuditEvent.objects.filter(object_type="treatments.timeoff")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update"]
    assert "deleted" in AuditEvent.objects.filter(object_type="treatments.timeoff").first().detail


# --- Daylight saving -------------------------------------------------------------------------


def test_time_off_typed_across_the_spring_forward_day_lands_on_the_clocks_instants(
    clinic, book, manager_user
):
    """London springs forward at 01:00 GMT on Sunday 29 March 2026. Time off typed from
    Saturday 09:00 to Monday 12:00 on the clinic's clock starts at 09:00 UTC (GMT) and ends at
    11:00 UTC (BST): a 10:00 BST session on Monday is inside it, a 12:00 BST one is not (it
    would be, were the end read as 12:00 UTC)."""
    [inside] = book(dt.datetime(2026, 3, 30, 10, tzinfo=LONDON), first_name="Ann")
    [after] = book(dt.datetime(2026, 3, 30, 12, tzinfo=LONDON), first_name="Bea")
    form = WindowForm({"starts_at": "2026-03-28T09:00", "ends_at": "2026-03-30T12:00"})
    assert form.is_valid(), form.errors
    starts_at, ends_at = form.cleaned_data["starts_at"], form.cleaned_data["ends_at"]
    assert starts_at == dt.datetime(2026, 3, 28, 9, tzinfo=dt.UTC)
    assert ends_at == dt.datetime(2026, 3, 30, 11, tzinfo=dt.UTC)

    with at(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        with pytest.raises(Stranded) as refused:
            services.time_off_create(
                practitioner=clinic.practitioner,
                starts_at=starts_at,
                ends_at=ends_at,
                by=manager_user,
            )
        assert refused.value.sessions == [inside]
        assert "Mon 30 Mar 2026, 10:00" in refused.value.fields["move_affected"][0]

        services.time_off_create(
            practitioner=clinic.practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            move_affected=True,
            by=manager_user,
        )
    inside.refresh_from_db()
    after.refresh_from_db()
    # Monday 12:00-14:00 is Bea's: Ann's session goes to 14:00 BST, a wall-clock hour.
    assert inside.starts_at == dt.datetime(2026, 3, 30, 14, tzinfo=LONDON)
    assert inside.starts_at == dt.datetime(2026, 3, 30, 13, tzinfo=dt.UTC)
    assert after.starts_at == dt.datetime(2026, 3, 30, 12, tzinfo=LONDON)


def test_a_time_in_the_spring_forward_gap_is_read_just_after_it(clinic, manager_user):
    """01:30 on 29 March 2026 never shows on a London clock: read as 02:30 BST, 01:30 UTC."""
    form = WindowForm({"starts_at": "2026-03-29T01:30", "ends_at": "2026-03-29T18:00"})
    assert form.is_valid(), form.errors
    off = services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=form.cleaned_data["starts_at"],
        ends_at=form.cleaned_data["ends_at"],
        by=manager_user,
    ).obj
    off.refresh_from_db()
    assert off.starts_at == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    assert off.ends_at == dt.datetime(2026, 3, 29, 17, tzinfo=dt.UTC)
