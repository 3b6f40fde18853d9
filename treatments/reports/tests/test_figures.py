"""Each report's figures on the clinic of `conftest.py`, whose answers were worked out by
hand there: local days and weeks in London across the clocks going forward, a cancellation
by the clinic apart from one by the patient, and a practitioner's own figures."""

from __future__ import annotations

import datetime as dt

import pytest

from treatments.reports import selectors
from treatments.reports.selectors import Scope

from .conftest import NO_CONSENT, TOO_LATE, WEEK_1, WEEK_2

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
CLINIC = Scope()


def uses(rows):
    return [(u.name, u.booked / H, u.available / H, round(u.percent)) for u in rows]


def test_utilisation_is_booked_hours_over_working_hours_on_the_wall_clock(known):
    found = selectors.utilisation(period=known.period, scope=CLINIC)
    assert uses(found.practitioners) == [("Ann Archer", 10.5, 19, 55), ("Ben Brook", 1.5, 8, 19)]
    assert uses(found.rooms) == [("Room A", 8.5, 27, 31), ("Room B", 3.5, 27, 13)]
    assert uses(found.devices) == [("Pen 1 (SN-1)", 5.5, 25, 22), ("Pen 3 (SN-3)", 0, 27, 0)]


def test_a_practitioner_sees_their_own_hours_and_no_rooms_or_devices(known):
    found = selectors.utilisation(period=known.period, scope=Scope(known.ann.pk))
    assert uses(found.practitioners) == [("Ann Archer", 10.5, 19, 55)]
    assert found.rooms == [] and found.devices == []


def test_sessions_are_counted_by_status_in_local_weeks_with_who_cancelled(known):
    found = selectors.sessions_by_status(period=known.period, scope=CLINIC)
    assert [(w.monday, w.counts) for w in found.weeks] == [
        (
            WEEK_1,
            {
                "completed": 2,
                "cancelled_by_clinic": 1,
                "cancelled_by_patient": 1,
                "cancelled_unrecorded": 0,
                "no_show": 1,  # 00:30 on the night the clocks go forward
                "booked": 0,
            },
        ),
        (
            WEEK_2,
            {
                "completed": 2,  # one at 00:30 BST on Monday, still Sunday in UTC
                "cancelled_by_clinic": 0,
                "cancelled_by_patient": 1,
                "cancelled_unrecorded": 1,
                "no_show": 0,
                "booked": 2,
            },
        ),
    ]
    assert found.total == 11


def test_a_practitioners_sessions_are_their_own(known):
    found = selectors.sessions_by_status(period=known.period, scope=Scope(known.ann.pk))
    assert [w.total for w in found.weeks] == [2, 5]
    assert found.totals["cancelled_by_clinic"] == 0
    assert found.totals["completed"] == 3


def test_screening_outcomes_per_local_week_and_the_most_common_findings(known):
    found = selectors.screening_outcomes(period=known.period, scope=CLINIC)
    assert [(w.monday, w.counts) for w in found.weekly.weeks] == [
        (WEEK_1, {"cleared": 1, "review": 1, "defer": 1, "blocked": 0}),
        (WEEK_2, {"cleared": 2, "review": 0, "defer": 0, "blocked": 1}),
    ]
    assert [(f.rule, f.outcome, f.count) for f in found.findings] == [
        ("hsv_history", "review", 2),
        ("active_cold_sore", "defer", 1),
        ("pregnancy", "blocked", 1),
        ("tattoo_in_area", "advise", 1),
    ]
    assert found.findings[0].label == "Gets cold sores"
    assert found.findings[0].reference == "§1.2 row 6"


def test_a_practitioner_sees_the_screenings_of_the_patients_they_treat(known):
    found = selectors.screening_outcomes(period=known.period, scope=Scope(known.ann.pk))
    assert [w.counts for w in found.weekly.weeks] == [
        {"cleared": 1, "review": 0, "defer": 1, "blocked": 0},
        {"cleared": 1, "review": 0, "defer": 0, "blocked": 0},
    ]
    assert [(f.rule, f.count) for f in found.findings] == [
        ("active_cold_sore", 1),
        ("hsv_history", 1),
    ]


def test_courses_started_completed_dropped_and_the_median_days_between_sessions(known):
    found = selectors.courses(period=known.period, scope=CLINIC)
    assert (found.started, found.completed, found.dropped, found.cancelled_unstarted) == (
        1,
        1,
        1,
        1,
    )
    # Gaps between completed sessions of a course, the later in the range, in local
    # dates: 21 and 7 (course 1), 8 (course 8: 22 March 23:30 GMT to 30 March 00:30 BST,
    # which UTC would call 7). The median of 7, 8 and 21.
    assert (found.median_days, found.gaps) == (8, 3)


def test_a_practitioners_courses_are_their_own(known):
    ann = selectors.courses(period=known.period, scope=Scope(known.ann.pk))
    assert (ann.started, ann.completed, ann.dropped, ann.cancelled_unstarted) == (0, 0, 0, 0)
    assert (ann.median_days, ann.gaps) == (8, 3)
    ben = selectors.courses(period=known.period, scope=Scope(known.ben.pk))
    assert (ben.started, ben.completed, ben.dropped, ben.cancelled_unstarted) == (1, 1, 1, 1)
    assert (ben.median_days, ben.gaps) == (None, 0)


def test_messages_by_kind_and_status_with_the_reasons_for_skipping(known):
    found = selectors.messages(period=known.period, scope=CLINIC)
    zero = dict.fromkeys(("sent", "skipped", "failed", "waiting", "cancelled"), 0)
    assert [(k.kind, k.counts) for k in found.kinds] == [
        ("booking_confirmation", {**zero, "sent": 1}),
        ("reminder_48h", {**zero, "skipped": 2}),
        ("reminder_24h", {**zero, "skipped": 1, "failed": 1, "cancelled": 1}),
        ("aftercare", {**zero, "sent": 1}),
        ("checkin_24h", {**zero, "waiting": 1}),
        ("practitioner_alert", {**zero, "sent": 1}),
        ("staff_invite", {**zero, "waiting": 1}),
    ]
    assert found.skip_reasons == [(NO_CONSENT, 2), (TOO_LATE, 1)]
    assert found.totals == {"sent": 3, "skipped": 3, "failed": 1, "waiting": 2, "cancelled": 1}


def test_a_practitioner_sees_messages_about_their_sessions_and_alerts_to_them(known):
    found = selectors.messages(period=known.period, scope=Scope(known.ann.pk))
    assert [(k.kind, k.total) for k in found.kinds] == [
        ("booking_confirmation", 1),
        ("reminder_48h", 1),
        ("reminder_24h", 1),
        ("checkin_24h", 1),
        ("practitioner_alert", 1),
    ]
    assert found.skip_reasons == [(NO_CONSENT, 2)]


def test_an_account_on_no_rota_sees_zeros(known):
    nobody = Scope(0)
    assert selectors.utilisation(period=known.period, scope=nobody).practitioners == []
    assert selectors.sessions_by_status(period=known.period, scope=nobody).total == 0
    assert selectors.screening_outcomes(period=known.period, scope=nobody).findings == []
    assert selectors.messages(period=known.period, scope=nobody).kinds == []
