"""A practitioner's free start times (`/api/practitioners/{id}/availability/`, DESIGN.md §7)."""

import pytest
import time_machine

from treatments.scheduling.models import Practitioner

from .calendar_helpers import BEFORE_THE_WEEK, at, errors
from .factories import session_at

pytestmark = pytest.mark.django_db


# --- Availability ------------------------------------------------------------------------------


def availability(client, practitioner_id, **params):
    return client.get(f"/api/practitioners/{practitioner_id}/availability/", params)


@time_machine.travel(BEFORE_THE_WEEK, tick=False)
def test_free_starts_fill_the_working_day_on_a_15_minute_grid(
    front_desk_client, practitioner, room, device
):
    response = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03"
    )

    assert response.status_code == 200
    starts = response.json()["starts"]
    # 09:00 to 15:30 (the last 90-minute session that ends by 17:00): 27 starts.
    assert len(starts) == 27
    assert starts[0] == {
        "starts_at": "2026-03-02T09:00:00Z",
        "ends_at": "2026-03-02T10:30:00Z",
        "room": room.pk,
        "device": device.pk,
    }
    assert starts[-1]["starts_at"] == "2026-03-02T15:30:00Z"


@time_machine.travel(BEFORE_THE_WEEK, tick=False)
def test_free_starts_leave_out_the_practitioners_sessions(front_desk_client, practitioner, room):
    session_at(practitioner, at(2026, 3, 2, 10), room=room, minutes=60)

    starts = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03"
    ).json()["starts"]

    # 10:00-11:00 is taken: a 90-minute session would have to start by 08:30 (before hours)
    # to end in time, so the day's first free start is 11:00, as the session ends.
    assert starts[0]["starts_at"] == "2026-03-02T11:00:00Z"


@time_machine.travel(at(2026, 3, 2, 12, 5), tick=False)
def test_the_past_is_never_offered(front_desk_client, practitioner, room):
    starts = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03"
    ).json()["starts"]

    assert starts[0]["starts_at"] == "2026-03-02T12:15:00Z"


@time_machine.travel(BEFORE_THE_WEEK, tick=False)
def test_minutes_sets_the_session_length(front_desk_client, practitioner, room):
    starts = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03", minutes=480
    ).json()["starts"]

    assert [(s["starts_at"], s["ends_at"]) for s in starts] == [
        ("2026-03-02T09:00:00Z", "2026-03-02T17:00:00Z")
    ]


@time_machine.travel(BEFORE_THE_WEEK, tick=False)
def test_the_end_of_the_range_cuts_off_later_starts(front_desk_client, practitioner, room):
    starts = availability(
        front_desk_client,
        practitioner.pk,
        start="2026-03-02T09:00:00Z",
        end="2026-03-02T10:00:00Z",
    ).json()["starts"]

    assert [s["starts_at"][11:16] for s in starts] == ["09:00", "09:15", "09:30", "09:45"]


@time_machine.travel(at(2026, 3, 20, 12), tick=False)
def test_working_hours_stay_on_the_local_clock_after_the_clocks_go_forward(
    front_desk_client, practitioner, room
):
    # Monday 30 March 2026 is the day after the change: 09:00 BST is 08:00 UTC.
    starts = availability(
        front_desk_client, practitioner.pk, start="2026-03-30", end="2026-03-31"
    ).json()["starts"]

    assert starts[0]["starts_at"] == "2026-03-30T08:00:00Z"
    assert starts[-1]["ends_at"] == "2026-03-30T16:00:00Z"


@pytest.mark.parametrize("minutes", ["14", "481", "ninety", "90.5"])
def test_minutes_outside_15_to_480_is_a_400(front_desk_client, practitioner, minutes):
    response = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03", minutes=minutes
    )

    assert response.status_code == 400
    assert "minutes" in errors(response)


@time_machine.travel(BEFORE_THE_WEEK, tick=False)
def test_a_blank_minutes_means_the_default_90(front_desk_client, practitioner, room):
    starts = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03", minutes=""
    ).json()["starts"]

    assert starts[0]["ends_at"] == "2026-03-02T10:30:00Z"


def test_availability_may_cover_at_most_31_days(front_desk_client, practitioner):
    ok = availability(front_desk_client, practitioner.pk, start="2026-03-01", end="2026-04-01")
    too_long = availability(
        front_desk_client, practitioner.pk, start="2026-03-01", end="2026-04-02"
    )

    assert ok.status_code == 200
    assert too_long.status_code == 400
    assert "end" in errors(too_long)


def test_availability_needs_start_and_end(front_desk_client, practitioner):
    response = availability(front_desk_client, practitioner.pk)

    assert response.status_code == 400
    assert set(errors(response)) == {"start", "end"}


def test_availability_of_an_unknown_practitioner_is_a_404(front_desk_client):
    response = availability(front_desk_client, 999999, start="2026-03-02", end="2026-03-03")
    huge = front_desk_client.get(f"/api/practitioners/{'9' * 30}/availability/")

    assert response.status_code == 404
    assert huge.status_code == 404


@time_machine.travel(BEFORE_THE_WEEK, tick=False)
def test_an_inactive_practitioner_has_no_free_starts(front_desk_client, practitioner, room):
    Practitioner.objects.filter(pk=practitioner.pk).update(active=False)

    response = availability(
        front_desk_client, practitioner.pk, start="2026-03-02", end="2026-03-03"
    )

    assert response.status_code == 200
    assert response.json() == {"starts": []}


def test_availability_is_for_staff_only(patient_client, anon_client, practitioner):
    assert availability(patient_client, practitioner.pk).status_code == 404
    assert availability(anon_client, practitioner.pk).status_code == 401
