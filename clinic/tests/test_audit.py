import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from clinic import audit
from clinic.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_to_which_patient_and_from_where(front_desk_user):
    patient_id = uuid.uuid4()
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    event = audit.record(
        actor=front_desk_user,
        action=AuditEvent.Action.VIEW,
        object_type="patients.patient",
        object_id="42",
        patient_id=patient_id,
        request=request,
    )
    event.refresh_from_db()
    assert event.actor == front_desk_user
    assert event.patient_id == patient_id
    assert event.ip_address == "10.1.2.3"
    assert event.at is not None


def test_the_audit_log_is_append_only(front_desk_user):
    event = audit.record(actor=front_desk_user, action="view", object_type="x", object_id="1")
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.all().update(action="create")
    with pytest.raises(ValidationError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1
