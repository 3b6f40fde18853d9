"""The admin is safe for patient data (issue 11 item 2): a patient-data model is either not
registered or read-only with every list and record view audited; staff accounts and the
audit log are read-only, for superusers only; nothing in the admin edits a patient.

The walk covers every model the admin has registered (third-party apps' too), so a new
registration has to be classified here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import Model
from django.test import Client, RequestFactory
from django.utils import timezone

from clinic.admin import AuditedReadOnlyAdmin, ReadOnlyAdmin, SuperuserOnly
from clinic.models import ApiToken, AuditEvent, User
from clinic.tests.factories import UserFactory
from patients.models import Consent, Hold, IntakeSubmission, Patient, ScreeningResult
from treatments.messaging.models import Message
from treatments.portal import check_ins
from treatments.portal import services as portal
from treatments.portal.models import (
    AftercareAcknowledgement,
    CheckInAnswer,
    PortalInvite,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)
from treatments.portal.tests.helpers import booked_session, completed_session, portal_patient
from treatments.scheduling.models import Course, Device, Room, Session, SessionRecord

pytestmark = pytest.mark.django_db

# Registered models that hold no patient data, which the manager or a superuser may edit.
EDITABLE = {
    "auth.group": "the role groups",
    "treatments.aftercarestep": "the aftercare wording the manager edits",
}
# The clinic's resources: shown read-only, because Clinic setup (/setup/) edits them with its
# rules (a protocol change makes a version; no change strands a booked session).
SETUP = {"treatments.protocol", "treatments.practitioner", "treatments.room", "treatments.device"}
# Shown read-only, to superusers only.
SUPERUSER_READ_ONLY = {"clinic.user", "clinic.auditevent"}


def holds_patient_data(model: type[Model], depth: int = 3) -> bool:
    """The patient, or a row that points at one (directly or through its session, course…)."""
    if model is Patient:
        return True
    if depth == 0:
        return False
    return any(
        holds_patient_data(field.related_model, depth - 1)
        for field in model._meta.get_fields()
        if field.concrete and (field.many_to_one or field.one_to_one) and field.related_model
    )


@pytest.fixture
def superuser(db) -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def root(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def reported(mailoutbox):
    """A patient's reaction reported in a check-in (a flag and a hold) and a request to move
    their next session."""
    patient = portal_patient(first_name="Beatrix", last_name="Potterton")
    done = completed_session(patient, at=timezone.now() - dt.timedelta(days=3))
    upcoming = booked_session(patient, at=timezone.now() + dt.timedelta(days=3), course=done.course)
    check_ins.check_in_submit(
        session=done, skin="improving", warning_signs=["infection"], note="", photo=None,
        by=patient.portal_user,
    )  # fmt: skip
    portal.change_request_create(session=upcoming, kind="move", note="", by=patient.portal_user)
    return patient


def test_the_patient_data_detector_sees_through_sessions_and_courses():
    for model in (Patient, SessionRecord, Session, Course, Message, PreSessionCheck, Hold):
        assert holds_patient_data(model), model
    for model in (Room, Device, User, AuditEvent):
        assert not holds_patient_data(model), model


def test_every_registered_model_is_classified_and_patient_data_is_never_editable(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    seen = set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        seen.add(label)
        for inline in model_admin.get_inline_instances(request):
            assert not holds_patient_data(inline.model), (label, inline.model)
        if label in SETUP:
            assert isinstance(model_admin, ReadOnlyAdmin), label
            for inline in model_admin.get_inline_instances(request):
                assert not inline.has_add_permission(request, None), (label, inline.model)
                assert not inline.has_change_permission(request), (label, inline.model)
                assert not inline.has_delete_permission(request), (label, inline.model)
        elif holds_patient_data(model) or label in SUPERUSER_READ_ONLY:
            assert isinstance(model_admin, ReadOnlyAdmin), label
            assert not model_admin.has_add_permission(request), label
            assert not model_admin.has_change_permission(request), label
            assert not model_admin.has_delete_permission(request), label
            assert not model_admin.get_actions(request), label
            if holds_patient_data(model):
                assert isinstance(model_admin, AuditedReadOnlyAdmin), label
            else:
                assert isinstance(model_admin, SuperuserOnly), label
        else:
            assert label in EDITABLE, f"{label} is in the admin: classify it"
    assert not set(EDITABLE) - seen, "a model listed as editable is no longer registered"
    assert not SETUP - seen, "a resource listed under setup is no longer registered"


def test_the_admin_points_the_manager_to_clinic_setup_for_resources(root):
    page = root.get("/admin/treatments/room/")
    assert page.status_code == 200
    assert "use Clinic setup (/setup/)" in page.content.decode()
    assert root.get("/admin/treatments/room/add/").status_code == 403


def test_the_patient_record_and_what_the_app_shows_are_not_in_the_admin():
    for model in (
        Patient, IntakeSubmission, ScreeningResult, Consent, Course, Session, SessionRecord,
        Message, CheckInAnswer, PreSessionCheck, AftercareAcknowledgement, PortalInvite,
    ):  # fmt: skip
        assert not admin.site.is_registered(model), model


def test_api_tokens_and_login_attempts_are_not_in_the_admin():
    """A token minted in the admin would let a superuser act under a member of staff's name;
    login attempts list the usernames tried, and a portal account's is the patient's e-mail."""
    for model in (ApiToken, AccessAttempt, AccessLog, AccessFailureLog):
        assert not admin.site.is_registered(model), model


def test_an_admin_post_to_change_a_patient_is_refused_and_changes_nothing(root, reported):
    patient = reported
    before = Patient.objects.filter(pk=patient.pk).values().get()
    bad = {"first_name": "Mallory", "date_of_birth": "1850-01-01", "phone": "12", "email": "x"}
    for path in (f"/admin/patients/patient/{patient.pk}/change/", "/admin/patients/patient/add/"):
        assert root.post(path, bad).status_code in (403, 404), path
    hold = Hold.objects.get(patient=patient)
    for path in (
        f"/admin/patients/hold/{hold.pk}/change/",
        f"/admin/patients/hold/{hold.pk}/delete/",
        "/admin/patients/hold/add/",
    ):
        assert root.post(path, {"reason": "changed", "release_note": "x"}).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).values().get() == before
    hold.refresh_from_db()
    assert hold.is_open and hold.reason != "changed"
    assert (
        not AuditEvent.objects.exclude(action__in=["view", "list"])
        .filter(actor__username="root")
        .exists()
    )


@pytest.mark.parametrize("model", [Hold, ReactionFlag, SessionChangeRequest])
def test_each_admin_read_of_patient_data_writes_an_audit_row_naming_the_patient(
    root, reported, model
):
    obj = model.objects.get()
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    mine = AuditEvent.objects.filter(actor__username="root", patient_id=reported.public_id)

    listing = root.get(base)
    assert listing.status_code == 200
    assert reported.full_name in listing.content.decode()
    rows = mine.filter(action="list", object_ids__contains=[str(obj.pk)])
    assert rows.count() == 1 and rows.get().detail == {"page": "admin"}

    page = root.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # nothing to save
    assert mine.filter(action="view", object_id=str(obj.pk)).count() == 1

    assert root.get(f"{base}{obj.pk}/history/").status_code == 200
    assert mine.filter(action="view", object_id=str(obj.pk)).count() == 2


def test_a_manager_in_the_admin_sees_no_patient_data_and_no_accounts(reported):
    manager = UserFactory(username="mgr", role="manager", is_staff=True)
    client = Client()
    client.force_login(manager)
    assert client.get("/admin/treatments/aftercarestep/").status_code == 200
    for path in (
        "/admin/clinic/user/",
        "/admin/clinic/auditevent/",
        "/admin/patients/hold/",
        "/admin/treatments/reactionflag/",
    ):
        assert client.get(path).status_code == 403, path
    assert not AuditEvent.objects.filter(actor=manager).exists()


def test_staff_accounts_appear_read_only_to_a_superuser_and_patient_accounts_not_at_all(
    root, superuser, front_desk_user, reported
):
    listing = root.get("/admin/clinic/user/").content.decode()
    assert front_desk_user.username in listing
    assert reported.portal_user.username not in listing
    page = root.get(f"/admin/clinic/user/{front_desk_user.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert "password" not in page.context["adminform"].form.fields
    refused = root.post(f"/admin/clinic/user/{front_desk_user.pk}/change/", {"is_superuser": "on"})
    assert refused.status_code == 403
    front_desk_user.refresh_from_db()
    assert not front_desk_user.is_superuser
    # A patient's account is not there to open.
    assert root.get(f"/admin/clinic/user/{reported.portal_user.pk}/change/").status_code == 302


def test_the_audit_log_appears_read_only_to_a_superuser_and_reading_it_is_audited(root, reported):
    count = AuditEvent.objects.count()
    listing = root.get("/admin/clinic/auditevent/")
    assert listing.status_code == 200
    [read] = AuditEvent.objects.filter(actor__username="root")
    assert read.action == "list" and read.object_type == "clinic.auditevent"
    assert read.detail == {"page": "admin", "rows": count}
    event = AuditEvent.objects.exclude(pk=read.pk).first()
    page = root.get(f"/admin/clinic/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        root.post(f"/admin/clinic/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
