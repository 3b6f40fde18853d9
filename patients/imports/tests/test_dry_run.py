"""The dry run: every row's result before anything is written, by registration's own checks
and duplicate rule (against registered patients and earlier rows of the same file)."""

import datetime as dt

import pytest
import time_machine

from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import AuditEvent
from patients import services as patient_services
from patients.imports import rows, runner, services
from patients.imports.models import PatientImport
from patients.models import Patient
from patients.tests.factories import PatientFactory

from .factories import csv_bytes, mapped, row, uploaded

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def results_of(job: PatientImport) -> dict[int, tuple[str, list[str]]]:
    return {number: (outcome, reasons) for number, outcome, _s, _p, reasons in job.preview}


def test_each_kind_of_result_is_shown_and_nothing_is_written(manager_user):
    registered = PatientFactory(
        first_name="Rita", last_name="Ray", date_of_birth=dt.date(1970, 5, 6)
    )
    data = csv_bytes(
        [
            row(first="Ann", last="Lee", email="ann@example.com"),  # 2: new
            row(
                first="rita", last="RAY ", born="06/05/1970", email="r@example.com"
            ),  # 3: registered (name, birth)
            row(first="Annie", last="Lee", email="ANN@example.com"),  # 4: repeats row 2
            row(first="Bob", last="", born="31/02/1990"),  # 5: invalid
        ]
    )
    before = Patient.objects.count()
    job = mapped(data, by=manager_user)
    assert job.status == PatientImport.Status.MAPPED
    found = results_of(job)
    assert found[2] == ("created", [])
    assert found[3] == ("duplicate", ["The same name and date of birth as a registered patient."])
    assert job.preview[1][3] == str(registered.public_id)
    assert found[4] == ("duplicate_in_file", ["The same person as row 2 of this file."])
    assert job.preview[2][2] == 2
    outcome, reasons = found[5]
    assert outcome == "invalid"
    assert reasons == [
        "Last name (column “Surname”): This field is required.",
        "Date of birth (column “DOB”): Enter a real date, for example 12/04/1988.",
        "E-mail address (column “Email”): E-mail is preferred: enter an e-mail.",
    ]
    assert Patient.objects.count() == before


DOB, EMAIL = "Date of birth (column “DOB”)", "E-mail address (column “Email”)"


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        ({"born": "14/03/2030"}, DOB, "Date of birth cannot be in the future."),
        ({"born": "1899-01-01"}, DOB, "Date of birth cannot be more than 120 years ago."),
        ({"email": "not-an-address"}, EMAIL, "Enter a valid email address."),
        ({"phone": "12"}, "Mobile phone (column “Mobile”)",
         "This is not a valid phone number; include the country code."),
        ({"email": "", "phone": ""}, EMAIL, "E-mail is preferred: enter an e-mail."),
        ({"email_ok": "maybe"}, "Agrees to e-mail messages (column “Email consent”)",
         "write yes or no."),
        ({"first": "x" * 101}, "First name (column “First name”)",
         "Ensure this value has at most 100 characters (it has 101)."),
    ],
)  # fmt: skip
def test_an_invalid_row_names_the_field_its_column_and_the_reason(
    manager_user, cells, field, reason
):
    values = {"email": "ann@example.com", **cells}
    job = mapped(csv_bytes([row(**values)]), by=manager_user)
    assert results_of(job)[2] == ("invalid", [f"{field}: {reason}"])


def test_cells_are_read_as_a_person_would_write_them(manager_user):
    data = csv_bytes(
        [row(first="  Ann ", born="1985-03-14 00:00", phone="07911 123456", email="", sms_ok="Y")],
        headers=["First name", "Surname", "Date of birth", "E-mail", "Phone", "Email consent",
                 "SMS consent"],
    )  # fmt: skip
    job = mapped(data, by=manager_user)
    [result] = runner.dry_run(job)
    assert result.outcome == "created"
    assert result.checked.data == {
        "first_name": "Ann",
        "last_name": "Lee",
        "date_of_birth": dt.date(1985, 3, 14),
        "email": "",
        "phone": "+447911123456",
        "preferred_channel": "sms",  # no e-mail: SMS, to the phone given
        "email_consent": True,
        "sms_consent": True,
        "fitzpatrick": "",
    }


def test_a_registered_patient_found_by_email_alone_is_a_duplicate(manager_user):
    PatientFactory(email="same@example.com")
    job = mapped(csv_bytes([row(first="Other", email=" Same@Example.com")]), by=manager_user)
    assert results_of(job)[2] == (
        "duplicate",
        ["The same e-mail address as a registered patient."],
    )


def test_an_archived_patient_is_still_a_duplicate_as_registration_says(manager_user):
    PatientFactory(first_name="Ann", last_name="Lee", date_of_birth=dt.date(1985, 3, 14),
                   archived_at=NOW)  # fmt: skip
    job = mapped(csv_bytes([row(email="new@example.com")]), by=manager_user)
    assert results_of(job)[2][0] == "duplicate"


def test_the_importer_and_registration_agree_on_who_is_a_duplicate(manager_user):
    """One rule: `patient_create` refuses exactly the rows the importer calls duplicates."""
    PatientFactory(first_name="Ann", last_name="Lee", date_of_birth=dt.date(1985, 3, 14))
    PatientFactory(email="taken@example.com")
    candidates = [
        row(first="ANN", last="lee", email="a1@example.com"),  # same name and birth
        row(first="Ann", last="Lee", born="15/03/1985", email="a2@example.com"),  # other birth
        row(first="Zed", email="taken@example.com"),  # same e-mail
        row(first="Zed", email="free@example.com"),
    ]
    job = mapped(csv_bytes(candidates), by=manager_user)
    importer_says = [outcome == "duplicate" for outcome, _r in results_of(job).values()]
    registration_says = []
    for result in runner.dry_run(job):
        try:
            with patient_services.transaction.atomic():
                patient_services.patient_create(by=manager_user, data=result.checked.data)
                raise RuntimeError("undo")
        except Conflict:
            registration_says.append(True)
        except RuntimeError:
            registration_says.append(False)
    assert importer_says == registration_says == [True, False, True, False]


def test_repeats_within_the_file_point_at_the_first_row_by_either_rule(manager_user):
    data = csv_bytes(
        [
            row(first="Ann", email="ann@example.com"),  # 2
            row(first="Ann", email="other@example.com"),  # 3: same name and birth as 2
            row(first="Bea", email="OTHER@example.com"),  # 4: same e-mail as 3
            row(first="Cy", last="", email="cy@example.com"),  # 5: invalid, matches nothing
            row(first="Cy", email="cy@example.com"),  # 6: new (row 5 was not valid)
        ]
    )
    found = results_of(mapped(data, by=manager_user))
    assert [found[n][0] for n in (2, 3, 4, 5, 6)] == [
        "created", "duplicate_in_file", "duplicate_in_file", "invalid", "created",
    ]  # fmt: skip
    assert found[3][1] == ["The same person as row 2 of this file."]
    assert found[4][1] == ["The same person as row 3 of this file."]


def test_the_dry_run_asks_the_database_once_for_any_number_of_rows(
    manager_user, django_assert_max_num_queries
):
    PatientFactory.create_batch(3)
    small = uploaded(csv_bytes([row(email="a@example.com")]), by=manager_user)
    big = uploaded(
        csv_bytes([row(first=f"P{n}", email=f"p{n}@example.com") for n in range(300)]),
        by=manager_user,
    )
    for job in (small, big):
        job.mapping = rows.guess_mapping(runner.table_of(job).headers)
        with django_assert_max_num_queries(1):  # the registered patients who match any row
            runner.dry_run(job)


def test_the_columns_are_guessed_from_the_headers_and_checked(manager_user):
    job = uploaded(csv_bytes([row(email="a@example.com")]), by=manager_user)
    assert job.mapping == {"first_name": 0, "last_name": 1, "date_of_birth": 2, "email": 3,
                           "phone": 4, "email_consent": 5, "sms_consent": 6}  # fmt: skip
    with pytest.raises(Invalid) as refused:
        services.patient_import_map(
            job=job, mapping={"first_name": "0", "last_name": "0", "email": "9"}, by=manager_user
        )
    assert refused.value.fields == {
        "last_name": ["This column is chosen for “First name” already."],
        "date_of_birth": ["Choose the column that holds this."],
        "email": ["Choose one of the file's columns."],
    }
    job.refresh_from_db()
    assert job.status == PatientImport.Status.UPLOADED


def test_only_managers_upload_map_or_start(front_desk_user, practitioner_user, manager_user):
    data = csv_bytes([row(email="a@example.com")])
    for user in (front_desk_user, practitioner_user):
        with pytest.raises(Forbidden):
            uploaded(data, by=user)
    job = uploaded(data, by=manager_user)
    with pytest.raises(Forbidden):
        services.patient_import_start(job=job, by=front_desk_user)


def test_the_upload_is_audited_without_its_contents(manager_user):
    job = uploaded(csv_bytes([row(first="Secretname", email="a@example.com")]), by=manager_user)
    event = AuditEvent.objects.get(object_type="patients.patientimport", action="create")
    assert event.actor == manager_user
    assert event.object_id == str(job.pk)
    assert "Secretname" not in str(event.detail)
