import pytest
from django.contrib.auth.models import Group

from clinic.models import Role
from clinic.permissions import grant_manager_permissions
from clinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_manager_who_is_not_a_superuser_edits_reference_data_but_only_reads_sessions():
    grant_manager_permissions()
    manager = UserFactory(username="mgr", role=Role.MANAGER, is_staff=True)
    assert Group.objects.get(name="manager").permissions.exists()
    assert manager.has_perm("treatments.change_protocol")
    assert manager.has_perm("treatments.add_workinghours")
    assert manager.has_perm("treatments.view_session")
    assert not manager.has_perm("treatments.change_session")
    assert not manager.has_perm("patients.delete_patient")
