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


# --- One INSERT per request (issue 13 item 5) ---------------------------------------------------


def test_outside_a_request_each_row_is_written_at_once():
    with audit.batched():
        audit.record(actor=None, action="view", object_type="x.y", object_id=1)
        assert not AuditEvent.objects.exists()  # waiting for the end of the block
        audit.record(actor=None, action="update", object_type="x.y", object_id=1)
        assert AuditEvent.objects.get().action == "update"  # a write: at once
    assert AuditEvent.objects.count() == 2
    audit.record(actor=None, action="view", object_type="x.y", object_id=2)
    assert AuditEvent.objects.count() == 3


def test_a_write_rolled_back_takes_no_read_row_with_it_and_a_failed_block_keeps_its_reads():
    from django.db import transaction

    with pytest.raises(RuntimeError), audit.batched():
        audit.record(actor=None, action="view", object_type="x.y", object_id=1)
        with transaction.atomic():
            audit.record(actor=None, action="update", object_type="x.y", object_id=1)
            raise RuntimeError("the change fails")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["view"]


def _inserts(queries) -> int:
    return sum(q["sql"].startswith('INSERT INTO "clinic_auditevent"') for q in queries)


def test_a_changes_rows_recorded_together_are_one_insert_inside_its_transaction(
    front_desk_user,
):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    def row(n):
        audit.record(actor=front_desk_user, action="update", object_type="x", object_id=str(n))

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with audit.together():
            row(1)
            with audit.together():  # a nested block joins the outer one
                row(2)
            assert not AuditEvent.objects.filter(object_type="x").exists()  # not yet
            row(3)
        assert AuditEvent.objects.filter(object_type="x").count() == 3  # before the commit
    assert _inserts(queries.captured_queries) == 1

    with pytest.raises(RuntimeError), transaction.atomic(), audit.together():
        row(4)
        raise RuntimeError("the change fails")
    assert not AuditEvent.objects.filter(object_id="4").exists()
