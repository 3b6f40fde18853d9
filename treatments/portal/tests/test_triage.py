"""Every check-in reaches a clinician: the note's warning signs raise the same finding as a
ticked box, every answer waits in the practitioners' triage list until one marks it read,
and an urgent sign sends the patient to emergency services at once
(treatments/portal/check_ins.py, staff_views.py; clinical reference §3, §4)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import contact
from clinic.models import AuditEvent, Role
from clinic.tests.factories import UserFactory
from patients.models import Hold
from treatments.messaging.models import Message
from treatments.portal import check_ins
from treatments.portal.models import CheckInAnswer, ReactionFlag
from treatments.scheduling.tests.factories import PractitionerFactory

from .helpers import (
    at,
    client_for,
    completed_session,
    main,
    portal_patient,
    text,
    tiny_jpeg,
    travel,
)

pytestmark = pytest.mark.django_db

TRIAGE = "/portal/staff/triage/"
READ = "/portal/staff/triage/read/"
PUS_AND_FEVER = "There is yellow pus on my cheek and I have a fever"


def submit(session, *, note="", skin="improving", signs=()):
    return check_ins.check_in_submit(
        session=session,
        skin=skin,
        warning_signs=list(signs),
        note=note,
        photo=None,
        by=session.patient.portal_user,
    )


def test_a_note_naming_pus_and_fever_raises_a_flag_a_hold_and_an_alert_with_no_box_ticked(
    patient, practitioner, practitioner_client
):
    practitioner.user.email = "priya@clinic.example"
    practitioner.user.save()
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1, hours=2)):
        answer = submit(session, note=PUS_AND_FEVER)
    assert (answer.warning_signs, answer.note_signs, answer.urgent) == ([], ["infection"], False)
    flag = ReactionFlag.objects.get()
    assert (flag.check_in, flag.warning_signs, flag.is_open) == (answer, ["infection"], True)
    hold = Hold.objects.open().get(patient=patient)
    assert (hold.source, hold.source_ref) == (Hold.Source.REACTION, str(flag.public_id))
    assert Message.objects.filter(kind="practitioner_alert", ref=str(flag.public_id)).exists()
    with travel(at(days=1, hours=4)):
        page = main(practitioner_client.get(TRIAGE))
    assert "Ada Lovelace" in page and PUS_AND_FEVER in page
    assert "Check-in (24 hours)" in page and "sent 2 hours ago" in page
    assert "Skin: Still red, dry or flaky, but getting better." in page
    assert "pus, yellow crusts or oozing, or a fever" in page and "(named in the note)" in page
    assert "Raised a flag</strong>: open" in page


def test_an_answer_with_a_photo_links_to_it_for_the_practitioner(
    patient, practitioner, practitioner_client, manager_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        answer = check_ins.check_in_submit(
            session=session, skin="settled", warning_signs=[], note="", photo=tiny_jpeg(),
            by=patient.portal_user,
        )  # fmt: skip
        link = f"/portal/staff/check-ins/{answer.public_id}/photo/"
        assert link in main(practitioner_client.get(TRIAGE))
        assert practitioner_client.get(link).status_code == 200
        assert link not in main(manager_client.get(TRIAGE))


def test_a_note_whose_signs_are_all_negated_raises_nothing_but_still_reaches_the_list(
    patient, practitioner, practitioner_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        answer = submit(session, note="No fever, no pus, no signs of infection.")
        page = main(practitioner_client.get(TRIAGE))
    assert answer.note_signs == [] and not ReactionFlag.objects.exists()
    assert not Hold.objects.open().exists()
    assert "No fever, no pus" in page and "No flag raised." in page and "No warning signs." in page


def test_a_ticked_box_and_the_note_merge_into_one_flag(patient, practitioner):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=2)):
        submit(session, note="blisters and a fever", signs=["infection"])
    assert ReactionFlag.objects.get().warning_signs == ["infection", "cold_sore"]


def test_the_list_shows_flagged_answers_first_each_newest_first(
    patient, practitioner, practitioner_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    notes = [
        (1, "calm: note-1"),
        (2, "I feel feverish: note-2"),
        (3, "calm: note-3"),
        (4, "it is oozing: note-4"),
    ]
    for day, note in notes:
        with travel(at(days=day)):
            submit(session, note=note, skin="improving")
    with travel(at(days=5)):
        page = main(practitioner_client.get(TRIAGE))
    order = [page.index(word) for word in ("note-4", "note-2", "note-3", "note-1")]
    assert order == sorted(order)
    assert "Check-ins to read (4)" in page


def test_marking_as_read_takes_it_off_the_list_and_is_audited(
    patient, practitioner, practitioner_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        answer = submit(session, note=PUS_AND_FEVER)
        response = practitioner_client.post(READ, {"check_in": str(answer.public_id)})
        assert response.status_code == 302 and response["Location"] == TRIAGE
        page = main(practitioner_client.get(TRIAGE))
    answer.refresh_from_db()
    assert (answer.read_at, answer.read_by) == (at(days=1), practitioner.user)
    assert PUS_AND_FEVER not in page and "Marked as read." in page and "Nothing to read" in page
    assert AuditEvent.objects.filter(
        action="update", object_type=CheckInAnswer._meta.label_lower, object_id=str(answer.pk),
        actor=practitioner.user, detail={"read": True},
    ).exists()  # fmt: skip
    # Reading the answer is not clearing the reaction: that still needs a practitioner's note.
    assert ReactionFlag.objects.get().is_open


def test_marking_it_read_twice_or_a_check_in_that_does_not_exist_changes_nothing(
    patient, practitioner, practitioner_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        answer = submit(session)
        practitioner_client.post(READ, {"check_in": str(answer.public_id)})
        again = practitioner_client.post(READ, {"check_in": str(answer.public_id)}, follow=True)
        assert "already marked this check-in as read" in text(again)
        nothing = practitioner_client.post(READ, {"check_in": "not-an-id"}, follow=True)
        assert "That check-in does not exist." in text(nothing)
    answer.refresh_from_db()
    assert answer.read_at == at(days=1)


def test_only_a_practitioner_marks_as_read_and_patients_never_see_the_list(
    patient, ada, practitioner, manager_client, front_desk_client, anon_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        answer = submit(session, note=PUS_AND_FEVER)
    manager_page = main(manager_client.get(TRIAGE))
    assert PUS_AND_FEVER in manager_page and "Mark as read" not in manager_page
    posted = {"check_in": str(answer.public_id)}
    assert manager_client.post(READ, posted).status_code == 403
    assert front_desk_client.get(TRIAGE).status_code == 403
    assert front_desk_client.post(READ, posted).status_code == 403
    for response in (ada.get(TRIAGE), ada.post(READ, posted)):
        assert response.status_code == 403
        assert PUS_AND_FEVER not in response.content.decode()
    assert anon_client.get(TRIAGE)["Location"].startswith("/login/")
    answer.refresh_from_db()
    assert answer.read_at is None


def test_the_service_refuses_anyone_but_a_practitioner(patient, practitioner, manager_user):
    from clinic.errors import Forbidden

    session = completed_session(patient, at=at(), practitioner=practitioner)
    answer = submit(session)
    with pytest.raises(Forbidden):
        check_ins.check_in_mark_read(answer=answer, by=manager_user)


def test_trouble_breathing_or_a_swelling_throat_sends_the_patient_to_emergency_services_at_once(
    patient, ada, practitioner
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        response = ada.post(
            f"/portal/aftercare/{session.public_id}/check-in/",
            {"skin": "improving", "note": "My throat feels tight and I can't breathe well"},
            follow=True,
        )
    page = main(response)
    number = contact.emergency_number()
    assert f'class="flash-error">Call {number} now if you have trouble breathing' in page
    assert page.index(f"Call {number} now") < page.index("We have told your practitioner")
    answer = CheckInAnswer.objects.get()
    assert answer.urgent and answer.note_signs == ["breathing", "swelling"]
    assert ReactionFlag.objects.get().warning_signs == ["breathing", "swelling"]


def test_a_non_urgent_note_does_not_mention_emergency_services(patient, ada, practitioner):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        response = ada.post(
            f"/portal/aftercare/{session.public_id}/check-in/",
            {"skin": "improving", "note": "no trouble breathing, a bit of pus"},
            follow=True,
        )
    assert "now if you have trouble breathing" not in main(response)
    assert not CheckInAnswer.objects.get().urgent


def test_the_dashboard_always_shows_a_practitioner_the_check_ins_to_read(
    patient, practitioner, practitioner_client, front_desk_client
):
    assert "<strong>0</strong> check-ins to read" in text(practitioner_client.get("/"))
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        submit(session)
    dashboard = text(practitioner_client.get("/"))
    assert "<strong>1</strong> check-in to read" in dashboard and TRIAGE in dashboard
    assert "check-in to read" not in text(front_desk_client.get("/"))


def test_the_list_runs_the_same_queries_for_one_answer_or_many(
    practitioner, practitioner_client, django_assert_max_num_queries
):
    def answers(first, n):
        for i in range(first, first + n):
            patient = portal_patient(first_name=f"P{i}", email=f"p{i}@example.com")
            session = completed_session(
                patient, at=at(), practitioner=PractitionerFactory() if i % 2 else practitioner
            )
            with travel(at(days=1, hours=i)):
                submit(session, note="pus" if i % 3 else "fine")

    answers(0, 1)
    with CaptureQueriesContext(connection) as one:
        practitioner_client.get(TRIAGE)
    answers(1, 12)
    # session, user, groups (role), the list (joins and the flag as a subquery), one audit
    # insert, groups again (can mark), session save: the same for 1 row or 13.
    with django_assert_max_num_queries(len(one)):
        response = practitioner_client.get(TRIAGE)
    assert len(response.context["answers"]) == 13


def test_a_second_practitioner_sees_every_answer_not_only_their_patients(patient, practitioner):
    other = UserFactory(username="mo", role=Role.PRACTITIONER)
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        submit(session, note=PUS_AND_FEVER)
    assert PUS_AND_FEVER in main(client_for(other).get(TRIAGE))
