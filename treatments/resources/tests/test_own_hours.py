"""A practitioner sets their own working hours ("My working hours"): the setup's form, rules and
audit rows, the strand list before a booked session is left outside them, and nobody else's
hours (issue 11 item 7, the staff-invite browser test)."""

import datetime as dt

import pytest
from django.urls import reverse

from clinic.models import AuditEvent, Role
from clinic.tests.factories import UserFactory
from treatments.scheduling.models import Session, WorkingHours
from treatments.scheduling.tests.factories import PractitionerFactory

from .conftest import at, local

pytestmark = pytest.mark.django_db


def _url(name, *args):
    return reverse(f"treatments:{name}", args=args)


def test_a_practitioner_sees_their_week_and_adds_hours(clinic, practitioner_client):
    page = practitioner_client.get(_url("my_hours")).content.decode()
    assert "My working hours" in page and "Monday" in page and "09:00" in page
    response = practitioner_client.post(
        _url("my_hours_new"), {"weekday": "5", "start": "10:00", "end": "13:00"}
    )
    assert response.status_code == 302 and response.url == _url("my_hours")
    hours = clinic.practitioner.working_hours.get(weekday=5)
    assert (hours.start, hours.end) == (dt.time(10), dt.time(13))
    row = AuditEvent.objects.get(object_type="treatments.workinghours", action="create")
    assert row.actor == clinic.practitioner.user


def test_a_refused_window_comes_back_with_its_problem(clinic, practitioner_client):
    response = practitioner_client.post(
        _url("my_hours_new"), {"weekday": "0", "start": "16:00", "end": "18:00"}
    )
    assert response.status_code == 400
    assert "Overlaps" in response.content.decode()
    assert clinic.practitioner.working_hours.filter(weekday=0).count() == 1


def test_a_practitioner_changes_and_removes_their_own_hours(clinic, practitioner_client):
    monday = clinic.practitioner.working_hours.get(weekday=0)
    practitioner_client.post(
        _url("my_hours_change", monday.pk), {"weekday": "0", "start": "10:00", "end": "16:00"}
    )
    monday.refresh_from_db()
    assert (monday.start, monday.end) == (dt.time(10), dt.time(16))
    practitioner_client.post(_url("my_hours_remove", monday.pk), {})
    assert not WorkingHours.objects.filter(pk=monday.pk).exists()
    rows = AuditEvent.objects.filter(actor=clinic.practitioner.user, object_id=str(monday.pk))
    assert [sorted(row.detail) for row in rows.order_by("id")] == [["end", "start"], ["deleted"]]


def test_another_practitioners_hours_are_not_found_and_stay_as_they_were(
    clinic, practitioner_client
):
    other = PractitionerFactory(display_name="Dr Other")
    theirs = other.working_hours.create(weekday=2, start=dt.time(9), end=dt.time(12))
    for name in ("my_hours_change", "my_hours_remove"):
        assert practitioner_client.get(_url(name, theirs.pk)).status_code == 404
        data = {"weekday": "2", "start": "06:00", "end": "07:00"}
        assert practitioner_client.post(_url(name, theirs.pk), data).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.start, theirs.end) == (dt.time(9), dt.time(12))
    page = practitioner_client.get(_url("my_hours")).content.decode()
    assert _url("my_hours_change", theirs.pk) not in page


def test_other_staff_cannot_open_the_page(clinic, front_desk_client):
    assert front_desk_client.get(_url("my_hours")).status_code == 403
    assert front_desk_client.post(_url("my_hours_new"), {}).status_code == 403


def test_an_account_not_on_the_rota_is_told_why_there_is_nothing_to_set(client):
    client.force_login(UserFactory(username="new", role=Role.PRACTITIONER))
    page = client.get(_url("my_hours")).content.decode()
    assert "not on the rota as a practitioner yet" in page
    assert client.get(_url("my_hours_new")).status_code == 404


def test_hours_shrunk_under_a_booking_list_it_and_move_it_when_confirmed(
    clinic, book, practitioner_client
):
    [session] = book(local(2026, 3, 10, 10), first_name="Ann")  # a Tuesday
    tuesday = clinic.practitioner.working_hours.get(weekday=1)
    url = _url("my_hours_change", tuesday.pk)
    data = {"weekday": "1", "start": "12:00", "end": "17:00"}
    with at(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        refused = practitioner_client.post(url, data)
        assert refused.status_code == 409
        body = refused.content.decode()
        assert "This would strand 1 booked session" in body and "Ann Doe" in body
        assert 'name="move_affected" value="on"' in body
        tuesday.refresh_from_db()
        assert tuesday.start == dt.time(9)

        moved = practitioner_client.post(url, {**data, "move_affected": "on"}, follow=True)
    assert "Moved 1 session" in moved.content.decode()
    assert Session.objects.get(pk=session.pk).starts_at == local(2026, 3, 10, 12)
