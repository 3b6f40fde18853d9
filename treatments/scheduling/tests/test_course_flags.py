"""Issue 10 item 9: off-label uses of the device (clinical reference §1.1) and pigmentation
courses (§2.1, §2.2) are flagged for a practitioner, who confirms with a note before booking."""

import datetime as dt

import pytest
import time_machine

from clinic.models import AuditEvent
from treatments.scheduling.indications import course_flags
from treatments.scheduling.models import Course, Session

from .factories import protocol
from .test_booking import LONDON, NOW, book, create_course


def codes(indication, areas, fitzpatrick=""):
    return [
        flag.code
        for flag in course_flags(
            indication=indication,
            indication_label=indication.replace("_", " ").capitalize(),
            areas=areas,
            fitzpatrick=fitzpatrick,
        )
    ]


@pytest.mark.parametrize(
    ("indication", "areas", "fitzpatrick", "expected"),
    [
        # §1.1: facial acne scars are the authorised use, in any skin type.
        ("acne_scars", ["cheeks"], "", []),
        ("acne_scars", ["cheeks", "forehead"], "VI", []),
        # Acne scars on the back: the screening's off-label-area finding asks already.
        ("acne_scars", ["back"], "II", []),
        # Neck wrinkles (K202243): authorised for skin types II to IV only.
        ("fine_lines", ["neck"], "III", []),
        ("fine_lines", ["neck"], "II", []),
        ("fine_lines", ["neck"], "IV", []),
        ("fine_lines", ["neck"], "I", ["off_label_indication"]),
        ("fine_lines", ["neck"], "V", ["off_label_indication"]),
        ("fine_lines", ["neck"], "", ["off_label_indication"]),
        # Everything else is off-label for the device: confirm, never block.
        ("fine_lines", ["forehead"], "III", ["off_label_indication"]),
        ("fine_lines", ["neck", "cheeks"], "III", ["off_label_indication"]),
        ("texture", ["cheeks"], "II", ["off_label_indication"]),
        ("stretch_marks", ["abdomen"], "II", ["off_label_indication"]),
        # §2.1: pigmentation is always flagged for the clinician.
        ("pigmentation", ["cheeks"], "II", ["off_label_indication", "pigmentation"]),
    ],
)
def test_the_flags_follow_the_devices_authorised_uses(indication, areas, fitzpatrick, expected):
    assert codes(indication, areas, fitzpatrick) == expected


def message(indication, fitzpatrick):
    (flag,) = [
        f
        for f in course_flags(
            indication=indication, indication_label="x", areas=["cheeks"], fitzpatrick=fitzpatrick
        )
        if f.code == "pigmentation"
    ]
    return flag.message


def test_the_pigmentation_flag_names_the_risk_and_the_darker_skin_types():
    assert "sunscreen and topical therapy" in message("pigmentation", "II")
    assert "1.5 mm" in message("pigmentation", "II")
    assert "conservative settings" not in message("pigmentation", "II")
    assert "Skin type V makes dark patches after treatment more likely" in message(
        "pigmentation", "V"
    )
    assert "No skin type is recorded" in message("pigmentation", "")


# --- Through the API -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


SERIES = [dt.datetime(2026, 3, 9, 10, tzinfo=LONDON) + dt.timedelta(days=28 * i) for i in range(4)]


@pytest.fixture
def pigmentation_course(practitioner_client, front_desk_user, clinic):
    patient = clinic.screened_patient(front_desk_user, fitzpatrick="V")
    pigmentation = protocol("pigmentation")
    response = create_course(practitioner_client, clinic, patient, pigmentation, sessions=4)
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_pigmentation_course_shows_its_flags_unconfirmed(pigmentation_course):
    flags = {f["code"]: f for f in pigmentation_course["flags"]}
    assert set(flags) == {"off_label_indication", "pigmentation"}
    assert not any(f["confirmed"] for f in flags.values())
    assert "Skin type V" in flags["pigmentation"]["message"]


def test_booking_waits_for_the_practitioners_confirmation(
    front_desk_client, practitioner_client, pigmentation_course, clinic
):
    course_id = pigmentation_course["id"]
    refused = book(front_desk_client, course_id, SERIES, clinic.rooms[0])
    assert refused.status_code == 409
    assert "A practitioner must confirm this course" in refused.json()["error"]["message"]
    assert not Session.objects.exists()

    url = f"/api/courses/{course_id}/confirm-flags/"
    assert front_desk_client.post(url, {"note": "ok"}, format="json").status_code == 403
    no_note = practitioner_client.post(url, {"note": "  "}, format="json")
    assert no_note.status_code == 400 and "note" in no_note.json()["error"]["fields"]
    confirmed = practitioner_client.post(
        url, {"note": "Melasma discussed; tranexamic cream and SPF 50 daily."}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    body = confirmed.json()
    assert all(f["confirmed"] for f in body["flags"])
    assert body["flags_confirmed_by"] == "Priya Shah"
    event = AuditEvent.objects.get(action="sign_off", object_type="treatments.course")
    assert event.detail == {"flags": ["off_label_indication", "pigmentation"]}
    again = practitioner_client.post(url, {"note": "again"}, format="json")
    assert again.status_code == 409

    booked = book(front_desk_client, course_id, SERIES, clinic.rooms[0])
    assert booked.status_code == 201, booked.json()
    assert Course.objects.get().status == Course.Status.BOOKED


def test_an_acne_scar_course_on_the_face_books_with_no_confirmation(
    front_desk_client, practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = create_course(practitioner_client, clinic, patient, acne_protocol).json()
    assert course["flags"] == []
    assert book(front_desk_client, course["id"], SERIES, clinic.rooms[0]).status_code == 201


def test_the_course_page_asks_the_practitioner_and_tells_front_desk_to_wait(
    front_desk_client, practitioner_client, pigmentation_course
):
    url = f"/courses/{pigmentation_course['id']}/"
    as_front_desk = front_desk_client.get(url).content.decode()
    assert "For the practitioner to confirm" in as_front_desk
    assert "Waiting for a practitioner to confirm this course" in as_front_desk
    as_practitioner = practitioner_client.get(url).content.decode()
    assert ">Confirm this course</button>" in as_practitioner
    response = practitioner_client.post(
        f"{url}confirm-flags/", {"note": "Discussed PIH risk; test patch done."}, follow=True
    )
    page = response.content.decode()
    assert "Confirmed by Priya Shah" in page and "Discussed PIH risk; test patch done." in page
