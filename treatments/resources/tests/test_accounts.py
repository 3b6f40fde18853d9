"""An account given the practitioner role is a practitioner at once (issue 11, the staff-invite
browser test): invited with the role, or given it later, it can set its hours and be booked."""

import pytest

from clinic.models import AuditEvent, Role
from clinic.staff import services as staff
from clinic.tests.factories import UserFactory
from treatments.scheduling.models import Practitioner
from treatments.scheduling.tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


def _invite(by, roles, email="ida@example.com"):
    return staff.staff_invite(
        email=email, first_name="Ida", last_name="Ives", roles=roles, by=by
    ).user


def test_inviting_a_practitioner_puts_them_on_the_rota_named_as_the_account(manager_user):
    ida = _invite(manager_user, [Role.PRACTITIONER])
    practitioner = Practitioner.objects.get(user=ida)
    assert (practitioner.display_name, practitioner.active) == ("Ida Ives", True)
    row = AuditEvent.objects.get(object_type="treatments.practitioner")
    assert (row.action, row.actor, row.object_id) == ("create", manager_user, str(practitioner.pk))


def test_inviting_someone_without_the_practitioner_role_makes_no_practitioner(manager_user):
    _invite(manager_user, [Role.FRONT_DESK, Role.MANAGER])
    assert not Practitioner.objects.exists()


def test_giving_an_account_the_role_later_makes_them_a_practitioner_once(manager_user):
    ida = _invite(manager_user, [Role.FRONT_DESK])
    staff.staff_set_roles(user=ida, roles=[Role.FRONT_DESK, Role.PRACTITIONER], by=manager_user)
    staff.staff_set_roles(user=ida, roles=[Role.FRONT_DESK], by=manager_user)
    staff.staff_set_roles(user=ida, roles=[Role.PRACTITIONER], by=manager_user)
    assert Practitioner.objects.filter(user=ida).count() == 1


def test_an_account_already_linked_keeps_its_practitioner(manager_user):
    account = UserFactory(username="lin", role=Role.FRONT_DESK)
    linked = PractitionerFactory(user=account, display_name="Dr Lin", active=False)
    staff.staff_set_roles(user=account, roles=[Role.PRACTITIONER], by=manager_user)
    assert list(Practitioner.objects.filter(user=account)) == [linked]
    linked.refresh_from_db()
    assert (linked.display_name, linked.active) == ("Dr Lin", False)  # the manager's choice


def test_a_refused_invitation_makes_no_practitioner_either(manager_user):
    _invite(manager_user, [Role.PRACTITIONER])
    with pytest.raises(Exception):  # noqa: B017, PT011 - the e-mail address is taken
        _invite(manager_user, [Role.PRACTITIONER])
    assert Practitioner.objects.count() == 1
