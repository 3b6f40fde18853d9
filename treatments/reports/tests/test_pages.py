"""The reports page and its CSV files: who may see what, bad dates, the charts' markup, and
queries that do not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.urls import reverse

from treatments.scheduling.tests.factories import SessionFactory

from .conftest import PERIOD, local

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
DATES = {"since": PERIOD.first.isoformat(), "until": PERIOD.last.isoformat()}
PAGE = reverse("treatments:reports")
EXPORT = reverse("treatments:reports_export")


@pytest.fixture(autouse=True)
def april():
    """Ten days after the range (the form's default and its date window follow today)."""
    with time_machine.travel(dt.datetime(2026, 4, 15, 9, tzinfo=dt.UTC), tick=False):
        yield


def charts(html: str) -> list[ET.Element]:
    """Every <svg> of the page, parsed as XML: each must be well-formed on its own."""
    found, rest = [], html
    while "<svg" in rest:
        start = rest.index("<svg")
        end = rest.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(rest[start:end]))  # noqa: S314 - our own markup
        rest = rest[end:]
    return found


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_manager_sees_every_report_for_the_whole_clinic(known, manager_client):
    response = manager_client.get(PAGE, DATES)
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("Utilisation", "Sessions by status", "Screening outcomes", "Courses"):
        assert f">{heading}</h2>" in html
    assert "Ben Brook" in html and "Room A" in html and "Pen 1 (SN-1)" in html
    assert "Known" not in html  # no patient's name: counts only


def test_every_chart_is_well_formed_svg_with_a_title_and_a_description(known, manager_client):
    found = charts(manager_client.get(PAGE, DATES).content.decode())
    assert len(found) == 9  # 3 utilisation, sessions, screenings, findings, courses, 2 messages
    for svg in found:
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and title.text
        assert desc is not None and desc.text
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert not any(el.get("style") for el in svg.iter()), "the CSP refuses style attributes"
    ids = [svg.find(f"{SVG}title").get("id") for svg in found]
    assert len(set(ids)) == len(ids)


def test_a_chart_says_its_figures_in_its_description(known, manager_client):
    found = charts(manager_client.get(PAGE, DATES).content.decode())
    by_title = {svg.find(f"{SVG}title").text: svg for svg in found}
    people = by_title["Practitioners: booked hours as a share of working hours"]
    assert "Ann Archer 55%; Ben Brook 19%" in people.find(f"{SVG}desc").text
    # Bars to scale: Ann's is 55% of the full width, Ben's 19%.
    widths = [float(rect.get("width")) for rect in people.iter(f"{SVG}rect")]
    assert widths[0] / widths[1] == pytest.approx(10.5 / 19 / (1.5 / 8), rel=0.01)


def test_a_practitioner_sees_only_their_own_figures(known, practitioner_client):
    response = practitioner_client.get(PAGE, DATES)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ann Archer" in html and "Ben Brook" not in html
    assert "Room B" not in html and "Pen 1" not in html
    assert "Your own figures" in html
    # A manager's choice of practitioner is not theirs to make: still their own.
    response = practitioner_client.get(PAGE, {**DATES, "practitioner": known.ben.pk})
    assert "Ben Brook" not in response.content.decode()


def test_a_manager_may_look_at_one_practitioner(known, manager_client):
    html = manager_client.get(PAGE, {**DATES, "practitioner": known.ben.pk}).content.decode()
    assert "Ben Brook" in html and "Ann Archer" not in html.split("<h2")[1].split("</section>")[0]


def test_front_desk_and_patients_are_refused(known, front_desk_client, patient_client):
    for client in (front_desk_client, patient_client):
        assert client.get(PAGE, DATES).status_code == 403
        assert client.get(EXPORT, {**DATES, "table": "sessions"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(anon_client):
    response = anon_client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_nav_links_to_reports_for_managers_and_practitioners_only(
    known, manager_client, practitioner_client, front_desk_client
):
    link = f'href="{PAGE}"'
    assert link in manager_client.get("/").content.decode()
    assert link in practitioner_client.get("/").content.decode()
    assert link not in front_desk_client.get("/").content.decode()


def test_with_no_dates_the_page_shows_the_four_weeks_to_today(known, manager_client):
    response = manager_client.get(PAGE)
    assert response.status_code == 200
    assert response.context["period"].first == dt.date(2026, 3, 19)
    assert response.context["period"].last == dt.date(2026, 4, 15)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2026-04-05", "until": "2026-03-23"}, "until", "before the first"),
        ({"since": "2025-01-01", "until": "2026-04-05"}, "until", "at most 366 days"),
        ({"since": "2026-02-30"}, "since", "valid date"),
        ({"since": "9999-12-31"}, "since", "Choose a date from"),
        ({"until": "0001-01-01"}, "until", "Choose a date from"),
        ({"since": ["2026-03-01", "2026-03-02"]}, "since", "one value"),
        ({"practitioner": "not-a-number"}, "practitioner", "valid choice"),
        ({"practitioner": "999999"}, "practitioner", "valid choice"),
    ],
)
def test_bad_dates_are_a_form_error_not_a_500(manager_client, query, field, message):
    response = manager_client.get(PAGE, query)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    assert response.context["sections"] is None
    assert "<svg" not in response.content.decode()


def test_a_nul_in_the_dates_is_a_400_naming_it(manager_client):
    response = manager_client.get(PAGE, {"since": "\x00"})
    assert response.status_code == 400
    assert "since" in response.content.decode()


def test_a_bad_download_is_a_form_error_too(manager_client, practitioner_client, known):
    assert manager_client.get(EXPORT, {**DATES, "table": "nonsense"}).status_code == 400
    assert manager_client.get(EXPORT, {"since": "2026-04-05", "until": "2026-03-01",
                                       "table": "sessions"}).status_code == 400  # fmt: skip
    # Rooms and devices are a manager's.
    response = practitioner_client.get(EXPORT, {**DATES, "table": "utilisation-rooms"})
    assert response.status_code == 400
    assert "for managers" in str(response.context["form"].errors["table"])


def test_each_table_downloads_as_csv_with_the_pages_figures(known, manager_client):
    response = manager_client.get(EXPORT, {**DATES, "table": "utilisation-practitioners"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="utilisation-practitioners-2026-03-23-to-2026-04-05.csv"'
    )
    assert rows(response) == [
        ["Practitioner", "Booked hours", "Working hours", "Booked share"],
        ["Ann Archer", "10.5", "19.0", "55%"],
        ["Ben Brook", "1.5", "8.0", "19%"],
    ]
    sessions = rows(manager_client.get(EXPORT, {**DATES, "table": "sessions"}))
    assert sessions == [
        ["Week", "Completed", "Cancelled by the clinic", "Cancelled by the patient",
         "Cancelled (who asked not recorded)", "No-show", "Still booked or checked in", "All"],
        ["Week of Mon 23 Mar 2026", "2", "1", "1", "0", "1", "0", "5"],
        ["Week of Mon 30 Mar 2026", "2", "0", "1", "1", "0", "2", "6"],
        ["In all", "4", "1", "2", "1", "1", "2", "11"],
    ]  # fmt: skip
    courses = rows(manager_client.get(EXPORT, {**DATES, "table": "courses"}))
    assert ["Median days between sessions", "8"] in courses
    skipped = rows(manager_client.get(EXPORT, {**DATES, "table": "skipped"}))
    assert skipped[1:] == [
        ["The patient has not agreed to e-mail or SMS.", "2"],
        ["Too late: the session has already started.", "1"],
    ]


def test_every_table_on_the_page_has_a_working_download(known, manager_client):
    response = manager_client.get(PAGE, DATES)
    html = response.content.decode()
    after = html.split(f'href="{EXPORT}?')[1:]
    links = [part.split('"')[0].replace("&amp;", "&") for part in after]
    assert len(links) == 9
    for query in links:
        download = manager_client.get(f"{EXPORT}?{query}")
        assert download.status_code == 200, query
        assert len(rows(download)) >= 1


def test_a_practitioners_download_is_their_own(known, practitioner_client):
    response = practitioner_client.get(EXPORT, {**DATES, "table": "utilisation-practitioners"})
    assert rows(response)[1:] == [["Ann Archer", "10.5", "19.0", "55%"]]


def test_a_cell_that_looks_like_a_formula_is_written_as_text(known, manager_client):
    known.ben.display_name = "=HYPERLINK(1)"
    known.ben.save()
    found = rows(manager_client.get(EXPORT, {**DATES, "table": "utilisation-practitioners"}))
    assert ["'=HYPERLINK(1)", "1.5", "8.0", "19%"] in found


def _page_queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(PAGE, DATES).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_for_one_session_or_many(
    request, manager_client, django_assert_max_num_queries
):
    SessionFactory(starts_at=local(2026, 3, 24, 10), status="completed")
    # The login's session, user and roles (3), the reports (utilisation 7: booked time,
    # practitioners, hours, time off, rooms, outages, devices; sessions 1; screenings 2;
    # courses 2; messages 2), the form's practitioner list (1), and the idle timeout's
    # session save (3, in a savepoint): 21.
    one = _page_queries(manager_client, django_assert_max_num_queries, 21)
    known = request.getfixturevalue("known")  # 14 sessions, screenings, messages, hours
    for day in range(40):
        SessionFactory(
            course__practitioner=known.ben,
            starts_at=local(2026, 3, 24, 10) + dt.timedelta(days=day % 12, minutes=day),
            status="completed",
        )
    assert _page_queries(manager_client, django_assert_max_num_queries, one) == one


def test_a_download_costs_the_same_queries_for_one_session_or_many(
    request, manager_client, django_assert_max_num_queries
):
    def count() -> int:
        # Session, user, roles; utilisation's 7; the session save in a savepoint (3).
        with django_assert_max_num_queries(13) as captured:
            response = manager_client.get(EXPORT, {**DATES, "table": "utilisation-devices"})
        assert response.status_code == 200
        return len(captured)

    SessionFactory(starts_at=local(2026, 3, 24, 10), status="no_show")
    one = count()
    known = request.getfixturevalue("known")
    for day in range(30):
        SessionFactory(course__practitioner=known.ann, starts_at=local(2026, 3, 23, 9) +
                       dt.timedelta(days=day % 13), status="no_show")  # fmt: skip
    assert count() == one


# What the form fuzz (treatments/portal/tests/test_form_fuzz.py) posts to every POST form,
# here sent to the reports' GET forms field by field, the other fields as a person fills them.
HOSTILE = {
    "long": "a" * 5000,
    "nan": "NaN",
    "infinity": "Infinity",
    "minus": "-1",
    "feb-30": "2027-02-30",
    "year-9999": "9999-12-31T23:59",
    "year-1": "0001-01-01T00:00",
    "huge-number": "1e999",
    "bigint": "99999999999999999999999",
    "empty": "",
    "list": ["1", "2"],
}


@pytest.mark.parametrize("url", [PAGE, EXPORT])
@pytest.mark.parametrize("field", ["since", "until", "practitioner", "table"])
def test_no_hostile_value_in_a_reports_field_is_a_500(known, manager_client, url, field):
    base = {**DATES, "practitioner": str(known.ann.pk), "table": "sessions"}
    for label, value in HOSTILE.items():
        response = manager_client.get(url, {**base, field: value})
        accepted = response.status_code == 200
        assert response.status_code in (200, 400), (label, response.status_code)
        if accepted:  # only an empty optional field, or a field the page does not read
            assert label == "empty" or (url == PAGE and field == "table"), label


# --- The API ---------------------------------------------------------------------------------

API = reverse("api-reports")


def test_the_api_gives_the_pages_tables_as_json(known, manager_client):
    response = manager_client.get(API, DATES)
    assert response.status_code == 200
    body = response.json()
    assert (body["since"], body["until"]) == ("2026-03-23", "2026-04-05")
    assert body["practitioner"] is None
    assert [r["slug"] for r in body["reports"]] == [
        "utilisation", "sessions", "screenings", "courses", "messages",
    ]  # fmt: skip
    people = body["reports"][0]["tables"][0]
    assert people["rows"] == [
        ["Ann Archer", "10.5", "19.0", "55%"],
        ["Ben Brook", "1.5", "8.0", "19%"],
    ]
    sessions = body["reports"][1]["tables"][0]
    assert sessions["total"] == ["In all", 4, 1, 2, 1, 1, 2, 11]


def test_the_api_gives_a_practitioner_their_own_figures(known, practitioner_client):
    body = practitioner_client.get(API, {**DATES, "practitioner": known.ben.pk}).json()
    assert body["practitioner"] == known.ann.pk
    assert body["reports"][0]["tables"][0]["rows"] == [["Ann Archer", "10.5", "19.0", "55%"]]
    assert len(body["reports"][0]["tables"]) == 1


def test_the_api_refuses_front_desk_and_patients_and_bad_dates(
    known, manager_client, front_desk_client, patient_client, anon_client
):
    assert front_desk_client.get(API, DATES).status_code == 403
    assert patient_client.get(API, DATES).status_code == 404
    assert anon_client.get(API, DATES).status_code == 401
    # The page's "whole clinic" is an empty choice; the API's is a left-out one.
    response = manager_client.get(API, {**DATES, "practitioner": ""})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["practitioner"]
    response = manager_client.get(API, {"since": "2026-04-05", "until": "2026-03-23"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "until": ["The last day is before the first: choose a later one."]
    }


def test_the_api_costs_the_same_queries_for_one_session_or_many(
    request, manager_client, django_assert_max_num_queries
):
    def count() -> int:
        with django_assert_max_num_queries(30) as captured:
            assert manager_client.get(API, DATES).status_code == 200
        return len(captured)

    SessionFactory(starts_at=local(2026, 3, 24, 10), status="completed")
    one = count()
    request.getfixturevalue("known")
    assert count() == one


def test_a_practitioners_bad_choice_of_practitioner_is_a_400_too(known, practitioner_client):
    """They cannot choose, but what they send is read like anyone's (the API's schema says
    an integer): nonsense is refused, a real id is ignored."""
    for url in (PAGE, API):
        assert practitioner_client.get(url, {**DATES, "practitioner": "null"}).status_code == 400
    response = practitioner_client.get(PAGE, {**DATES, "practitioner": known.ben.pk})
    assert response.status_code == 200 and response.context["scope"].practitioner_id == known.ann.pk
