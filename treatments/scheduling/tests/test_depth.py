"""Depth within the reference (clinical reference §2.2): each area's maximum is refused above,
its flag needs the practitioner's written reason, in the API and the HTML chart alike."""

import datetime as dt
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from treatments.scheduling.charting import AreaRecord, depth_check
from treatments.scheduling.models import Course, Protocol, SessionRecord
from treatments.scheduling.protocols import DEFAULT_PROTOCOLS, MAX_DEPTH_MM, depth_range_errors
from treatments.scheduling.tests.check_in_helpers import api_body

LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)
STEP = Decimal("0.05")

SEEDED = [
    pytest.param(spec["depth_ranges"][area], id=f"{spec['indication']}-{area}")
    for spec in DEFAULT_PROTOCOLS
    for area in spec["depth_ranges"]
]
AREA_OF = {
    f"{spec['indication']}-{area}": area
    for spec in DEFAULT_PROTOCOLS
    for area in spec["depth_ranges"]
}


def record(area="cheeks", mm="1.0", reason=""):
    return AreaRecord(
        area=area,
        device_setting_mm=Decimal(mm),
        passes=2,
        cartridge_lot="LOT-1",
        depth_reason=reason,
    )


@pytest.mark.parametrize("spec", SEEDED)
def test_every_seeded_area_has_a_maximum_within_the_reference(spec):
    assert Decimal(str(spec["flag_above"])) <= Decimal(str(spec["max"])) <= MAX_DEPTH_MM
    assert depth_range_errors({"area": spec}) == []


def test_thin_facial_skin_is_far_below_the_ceiling():
    for spec in DEFAULT_PROTOCOLS:
        ranges = spec["depth_ranges"]
        for area in ("periorbital", "forehead", "nose"):
            if area in ranges:
                assert ranges[area]["max"] <= 1.5
        if "periorbital" in ranges:
            assert ranges["periorbital"]["max"] <= 1.0


@pytest.mark.parametrize("spec", SEEDED)
def test_each_seeded_area_flags_with_a_reason_and_refuses_above_its_maximum(spec, request):
    area = AREA_OF[request.node.callspec.id]
    flag, top = Decimal(str(spec["flag_above"])), Decimal(str(spec["max"]))
    assert depth_check(record(area, str(flag)), spec) == ("", "", "")
    if flag < top:
        field, error, _ = depth_check(record(area, str(flag + STEP)), spec)
        assert field == "depth_reason" and "reason" in error
        _, error, reason = depth_check(record(area, str(flag + STEP), "  Deep scars "), spec)
        assert error == "" and reason == f"Above {spec['flag_above']} mm for this area: Deep scars"
    field, error, _ = depth_check(record(area, str(top + STEP), "Any reason"), spec)
    assert field == "device_setting_mm"
    assert f"at most {spec['max']} mm (clinical reference §2.2)" in error


@pytest.mark.parametrize(
    ("spec", "mm", "reason", "expected"),
    [
        (None, "0.5", "", ("depth_reason", "No protocol range for this area")),
        (None, "0.5", "Surgeon's order", ("", "")),
        (None, "2.55", "Any", ("device_setting_mm", "at most 2.5 mm")),
        ({"flag_above": 1.0}, "2.5", "Any", ("", "")),  # no max: the reference's 2.5 mm
        ({"flag_above": 1.0, "max": 3.0}, "2.6", "Any", ("device_setting_mm", "at most 2.5")),
    ],
)
def test_an_area_without_a_range_needs_a_reason_and_never_exceeds_2_5_mm(
    spec, mm, reason, expected
):
    field, error, _ = depth_check(record("hands", mm, reason), spec)
    assert field == expected[0]
    assert expected[1] in error


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ({"cheeks": {"start": [1, 2], "flag_above": 2.0, "max": 3.0}}, "at most 2.5 mm"),
        ({"cheeks": {"start": [1, 2], "flag_above": 2.0, "max": 1.5}}, "must not exceed max"),
        ({"cheeks": {"start": [1, 2], "flag_above": 2.0}}, "numeric flag_above and max"),
        ({"cheeks": {"flag_above": "deep", "max": 2.0}}, "numeric flag_above and max"),
    ],
)
def test_a_protocol_with_a_depth_range_outside_the_reference_is_invalid(ranges, message):
    with pytest.raises(ValidationError) as raised:
        Protocol(depth_ranges=ranges).clean()
    assert message in str(raised.value.message_dict["depth_ranges"])


@pytest.mark.django_db
def test_the_migration_adds_maximums_and_keeps_a_managers_edits_sensible(acne_protocol):
    migration = importlib.import_module("treatments.migrations.0012_depth_maximums")
    acne_protocol.depth_ranges = {
        "cheeks": {"start": [1.0, 2.0], "flag_above": 2.2},  # edited, no max yet
        "neck": {"start": [0.5, 1.0], "flag_above": 3.0},  # edited above the reference
        "hands": {"start": [0.5, 1.0], "flag_above": 1.0},  # not in the seed
        "nose": {"start": [0.25, 0.5], "flag_above": 1.0, "max": 1.2},  # already has one
    }
    acne_protocol.save()
    migration.add_maximums(apps, None)
    acne_protocol.refresh_from_db()
    ranges = acne_protocol.depth_ranges
    assert ranges["cheeks"] == {"start": [1.0, 2.0], "flag_above": 2.2, "max": 2.5}
    assert ranges["neck"]["flag_above"] == 2.5 and ranges["neck"]["max"] == 2.5
    assert ranges["hands"]["max"] == 2.5
    assert ranges["nose"]["max"] == 1.2
    assert depth_range_errors(ranges) == []


# --- The API and the HTML chart: the acne protocol's cheeks (flag 2.0, max 2.5) and
# forehead (flag 1.0, max 1.5), and an area the protocol gives no range.

API_CASES = [
    # area, setting, reason, status, error field (None: completed), flag reason
    ("cheeks", "2.00", "", 200, None, ""),
    ("cheeks", "2.05", "", 400, "depth_reason", ""),
    ("cheeks", "2.05", "Deep boxcar scars", 200, None, "Above 2.0 mm for this area: Deep"),
    ("cheeks", "2.55", "Deep boxcar scars", 400, "device_setting_mm", ""),
    ("forehead", "1.00", "", 200, None, ""),
    ("forehead", "1.05", "", 400, "depth_reason", ""),
    ("forehead", "1.50", "Thick skin", 200, None, "Above 1.0 mm for this area: Thick"),
    ("forehead", "1.55", "Thick skin", 400, "device_setting_mm", ""),
    ("unranged", "0.50", "", 400, "depth_reason", ""),
    ("unranged", "0.50", "Manager's range pending", 200, None, "No protocol range for this"),
]


@pytest.fixture
def checked_in(clinic, front_desk_user, practitioner_user, acne_protocol, front_desk_client):
    """A session on the cheeks and forehead (both screened), checked in."""
    session = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )[0]
    Course.objects.filter(pk=session.course_id).update(areas=["cheeks", "forehead"])
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        response = front_desk_client.post(
            f"/api/sessions/{session.public_id}/check-in/", api_body(), format="json"
        )
    assert response.status_code == 200, response.json()
    return session


def _area(acne_protocol, area):
    """ "unranged": the forehead, after the manager removed its range."""
    if area == "unranged":
        acne_protocol.depth_ranges.pop("forehead")
        acne_protocol.save()
        return "forehead"
    return area


def _expect(session, status, code, flag):
    session.refresh_from_db()
    if code == 200:
        row = SessionRecord.objects.get()
        assert row.flagged is bool(flag)
        assert row.flag_reason.startswith(flag)
        assert session.status == "completed"
    else:
        assert not SessionRecord.objects.exists()
        assert session.status == "checked_in"


@pytest.mark.django_db
@pytest.mark.usefixtures("long_sessions")
@pytest.mark.parametrize(("area", "mm", "reason", "code", "field", "flag"), API_CASES)
def test_the_api_checks_each_area_against_its_range(
    checked_in, acne_protocol, practitioner_client, area, mm, reason, code, field, flag
):
    area = _area(acne_protocol, area)
    body = {"area": area, "device_setting_mm": mm, "passes": 2, "cartridge_lot": "LOT-1"}
    if reason:
        body["depth_reason"] = reason
    with time_machine.travel(START + dt.timedelta(minutes=30), tick=False):
        response = practitioner_client.post(
            f"/api/sessions/{checked_in.public_id}/complete/", {"records": [body]}, format="json"
        )
    assert response.status_code == code, response.json()
    if field:
        assert f"records.0.{field}" in response.json()["error"]["fields"]
    else:
        assert SessionRecord.objects.get().depth_reason == reason
    _expect(checked_in, response.status_code, code, flag)


@pytest.mark.django_db
@pytest.mark.usefixtures("long_sessions")
@pytest.mark.parametrize(("area", "mm", "reason", "code", "field", "flag"), API_CASES)
def test_the_html_chart_checks_each_area_alike(
    checked_in, acne_protocol, practitioner_client, area, mm, reason, code, field, flag
):
    area = _area(acne_protocol, area)
    data = {f"{area}-device_setting_mm": mm, f"{area}-passes": "2"}
    data |= {f"{area}-cartridge_lot": "LOT-1", f"{area}-depth_reason": reason}
    url = reverse("treatments:session_complete", kwargs={"public_id": checked_in.public_id})
    with time_machine.travel(START + dt.timedelta(minutes=30), tick=False):
        response = practitioner_client.post(url, data)
    if code == 200:
        assert response.status_code == 302
    else:
        assert response.status_code in (200, 400)
        page = response.content.decode()
        assert f'id="id_{area}-{field}_error"' in page
    _expect(checked_in, response.status_code, code, flag)
