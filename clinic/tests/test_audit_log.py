"""The audit log page and its CSV export (issue 11 item 8): managers only, filters, keyset
pages, the clinic's local days across daylight-saving changes, and reading it audited.

Patient names on the page are tested in patients/tests/test_audit_log_names.py (`clinic`
does not import `patients`, not even in its tests).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
import time_machine
from django.urls import reverse

from clinic import audit, audit_log
from clinic.audit_log import Cursor, Filters, csv_cell, day_bounds
from clinic.models import AuditEvent
from clinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/audit/"
EXPORT = "/audit/export.csv"
UTC = dt.UTC


def event(at: dt.datetime, *, actor=None, action="view", patient_id=None, **fields) -> AuditEvent:
    """An audit row written at `at` (the log stamps rows itself, so the clock is moved)."""
    with time_machine.travel(at, tick=False):
        return audit.record(
            actor=actor,
            action=action,
            object_type=fields.pop("object_type", "patients.patient"),
            object_id=fields.pop("object_id", "1"),
            patient_id=patient_id,
            **fields,
        )


def reads_by(user):
    return AuditEvent.objects.filter(actor=user, object_type="clinic.auditevent")


def shown_ids(response) -> list[int]:
    return [row["event"].pk for row in response.context["rows"]]


# --- Who may read it ---------------------------------------------------------------------------


def test_only_a_manager_opens_the_audit_log_or_its_export(
    front_desk_client, practitioner_client, patient_client, anon_client, manager_client
):
    for path in (URL, EXPORT):
        for client in (front_desk_client, practitioner_client, patient_client):
            assert client.get(path).status_code == 403, path
        refused = anon_client.get(path)
        assert refused.status_code == 302 and refused["Location"].startswith("/login/")
        assert manager_client.get(path).status_code == 200
    assert not AuditEvent.objects.exclude(actor__username="boss").exists()


def test_the_navigation_links_the_audit_log_for_managers_only(manager_client, front_desk_client):
    link = f'href="{reverse("audit_log")}"'
    assert link in manager_client.get("/").content.decode()
    assert link not in front_desk_client.get("/").content.decode()


# --- Reading it is audited ---------------------------------------------------------------------


def test_reading_the_log_writes_one_row_with_the_filters_and_no_names(
    manager_client, manager_user, front_desk_user
):
    patient_id = uuid.uuid4()
    event(dt.datetime(2026, 3, 2, 10, tzinfo=UTC), actor=front_desk_user, patient_id=patient_id)
    query = {
        "patient": str(patient_id),
        "actor": str(front_desk_user.pk),
        "action": "view",
        "since": "2026-03-01",
        "until": "2026-03-31",
    }
    response = manager_client.get(URL, query)
    assert response.status_code == 200
    [read] = reads_by(manager_user)
    assert read.action == "list"
    assert read.patient_id == patient_id  # reading a patient's trail is in their trail
    assert read.detail == {"page": "audit_log", "filters": query, "rows": 1}
    assert read.ip_address == "127.0.0.1"


def test_an_unfiltered_read_names_no_patient(manager_client, manager_user):
    manager_client.get(URL)
    assert reads_by(manager_user).get().patient_id is None


# --- Filters ----------------------------------------------------------------------------------


def test_it_filters_by_patient_staff_member_and_action(
    manager_client, front_desk_user, practitioner_user
):
    one, other = uuid.uuid4(), uuid.uuid4()
    at = dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    a = event(at, actor=front_desk_user, patient_id=one)
    b = event(at, actor=practitioner_user, patient_id=one, action="update")
    c = event(at, actor=front_desk_user, patient_id=other)

    def shown(**query) -> set[int]:
        response = manager_client.get(URL, query)
        assert response.status_code == 200
        return set(shown_ids(response)) & {a.pk, b.pk, c.pk}

    assert shown() == {a.pk, b.pk, c.pk}
    assert shown(patient=one) == {a.pk, b.pk}
    assert shown(actor=front_desk_user.pk) == {a.pk, c.pk}
    assert shown(action="update") == {b.pk}
    assert shown(patient=one, actor=front_desk_user.pk) == {a.pk}


def test_the_staff_member_select_lists_staff_and_not_patient_accounts(
    manager_client, front_desk_user, patient_user
):
    choices = manager_client.get(URL).context["form"].fields["actor"].queryset
    assert front_desk_user in choices and patient_user not in choices
    assert manager_client.get(URL, {"actor": patient_user.pk}).status_code == 400


def test_a_day_is_the_clinics_local_day_on_both_daylight_saving_changes(manager_client):
    """Europe/London: 29 March 2026 has 23 hours (00:00 GMT to 23:00 UTC); 25 October 2026
    has 25 (23:00 UTC the day before to 00:00 UTC the day after)."""
    edges = {
        "before spring": event(dt.datetime(2026, 3, 28, 23, 59, 59, tzinfo=UTC)),
        "spring first": event(dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),
        "spring last": event(dt.datetime(2026, 3, 29, 22, 59, 59, tzinfo=UTC)),
        "after spring": event(dt.datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
        "before autumn": event(dt.datetime(2026, 10, 24, 22, 59, 59, tzinfo=UTC)),
        "autumn first": event(dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC)),
        "autumn last": event(dt.datetime(2026, 10, 25, 23, 59, 59, tzinfo=UTC)),
        "after autumn": event(dt.datetime(2026, 10, 26, 0, 0, tzinfo=UTC)),
    }

    def shown(day: str) -> set[str]:
        ids = set(shown_ids(manager_client.get(URL, {"since": day, "until": day})))
        return {name for name, e in edges.items() if e.pk in ids}

    assert shown("2026-03-29") == {"spring first", "spring last"}
    assert shown("2026-10-25") == {"autumn first", "autumn last"}


def test_a_day_starts_when_the_clock_does_in_a_zone_that_jumps_at_midnight(settings):
    """Chile moves its clocks from 00:00 to 01:00 on 6 September 2026: that day starts at
    01:00 local (04:00 UTC) and has 23 hours."""
    settings.CLINIC_TIME_ZONE = "America/Santiago"
    start, end = day_bounds(dt.date(2026, 9, 6), dt.date(2026, 9, 6))
    assert start == dt.datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert end == dt.datetime(2026, 9, 7, 3, tzinfo=UTC)
    assert day_bounds(None, None) == (None, None)


@pytest.mark.parametrize(
    "query",
    [
        {"patient": "Potterton"},
        {"actor": "999999"},
        {"action": "delete"},
        {"since": "2026-02-30"},
        {"since": "0001-01-01"},
        {"until": "9999-12-31"},
        {"since": "2026-03-02", "until": "2026-03-01"},
        {"before": "yesterday"},
        {"before": "1_1", "after": "2_2"},
        {"action": ["view", "list"]},
    ],
)
def test_filters_that_make_no_sense_are_a_400_that_reads_nothing(
    manager_client, manager_user, query
):
    for path in (URL, EXPORT):
        response = manager_client.get(path, query)
        assert response.status_code == 400, (path, query)
        assert response.context["form"].errors
    assert not reads_by(manager_user).exists()


# --- Pages ------------------------------------------------------------------------------------


def test_keyset_pages_walk_the_whole_log_both_ways_without_gaps_or_repeats():
    at = dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    made = [event(at + dt.timedelta(seconds=n // 4)).pk for n in range(23)]  # ties of four
    newest_first = list(reversed(made))
    events = audit_log.filtered(Filters())

    seen, page = [], audit_log.page(events, size=5)
    assert page.is_newest and page.newer is None
    while True:
        seen += [e.pk for e in page.events]
        if page.older is None:
            break
        page = audit_log.page(events, before=page.older, size=5)
        assert not page.is_newest and page.newer is not None
    assert seen == newest_first

    back = []
    while page.newer is not None:
        page = audit_log.page(events, after=page.newer, size=5)
        back = [e.pk for e in page.events] + back
    assert back == newest_first[:-3]  # every page above the last one (of 3 rows)
    assert page.is_newest


def test_the_page_links_to_older_and_newer_rows_keeping_the_filters(
    manager_client, front_desk_user, monkeypatch
):
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 2)
    at = dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    rows = [event(at + dt.timedelta(minutes=n), actor=front_desk_user).pk for n in range(5)]
    first = manager_client.get(URL, {"actor": front_desk_user.pk})
    assert shown_ids(first) == [rows[4], rows[3]]
    older = first.context["older_query"]
    assert f"actor={front_desk_user.pk}" in older and "before=" in older
    second = manager_client.get(f"{URL}?{older}")
    assert shown_ids(second) == [rows[2], rows[1]]
    back = manager_client.get(f"{URL}?{second.context['newer_query']}")
    assert shown_ids(back) == [rows[4], rows[3]]


def test_a_cursor_is_a_place_in_the_order_and_survives_the_url():
    cursor = Cursor(at=dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC), id=42)
    assert Cursor.parse(str(cursor)) == cursor
    for text in ("", "1", "a_1", "1_a", "1_2_3", "9" * 17 + "_1", "-1_1"):
        with pytest.raises(ValueError):
            Cursor.parse(text)


def test_the_page_costs_the_same_queries_for_one_row_or_a_full_page(
    manager_client, django_assert_max_num_queries
):
    at = dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    staff = [UserFactory(username=f"staff{n}", role="front_desk") for n in range(50)]
    event(at, actor=staff[0], patient_id=uuid.uuid4())
    with django_assert_max_num_queries(10) as one:
        assert manager_client.get(URL).status_code == 200
    for n, member in enumerate(staff):
        event(at + dt.timedelta(seconds=n), actor=member, patient_id=uuid.uuid4())
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = manager_client.get(URL)
    assert len(response.context["rows"]) == audit_log.PAGE_SIZE


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Ann", "Ann"),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_that_starts_like_a_formula_is_text(value, cell):
    assert csv_cell(value) == cell


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_export_streams_the_filtered_rows_as_safe_csv_and_is_audited(
    manager_client, manager_user, monkeypatch
):
    monkeypatch.setattr(audit_log, "EXPORT_CHUNK", 2)  # several chunks
    mallory = UserFactory(username="mallory", first_name="=cmd|'/c calc'!A1", last_name="",
                          role="front_desk")  # fmt: skip
    at = dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 00:30 GMT, just before the change
    made = [
        event(at + dt.timedelta(hours=n), actor=mallory, object_id=f"-{n}", ip="10.0.0.1")
        for n in range(5)
    ]
    event(at, actor=manager_user)  # not the staff member asked for

    response = manager_client.get(EXPORT, {"actor": mallory.pk})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert response["Cache-Control"] == "private, no-store"
    [export] = AuditEvent.objects.filter(actor=manager_user, action="export")
    assert export.detail == {
        "page": "audit_log",
        "format": "csv",
        "filters": {"actor": str(mallory.pk)},
    }

    header, *rows = read_csv(response)
    assert header == audit_log.CSV_HEADER
    assert [row[4] for row in rows] == [f"'-{n}" for n in reversed(range(5))]
    assert {row[1] for row in rows} == {"'=cmd|'/c calc'!A1"}
    # Local times with their offset: 01:30 GMT is 02:30 BST an hour later.
    assert rows[-1][0] == "2026-03-29T00:30:00+00:00"
    assert rows[-2][0] == "2026-03-29T02:30:00+01:00"
    assert {row[7] for row in rows} == {"10.0.0.1"}
    assert len(made) == len(rows)


def test_the_export_of_an_empty_selection_is_its_header(manager_client):
    response = manager_client.get(EXPORT, {"action": "sign_off"})
    assert read_csv(response) == [audit_log.CSV_HEADER]
