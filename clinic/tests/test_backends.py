"""The session backend reads a logged-in account and its roles in one query, and refuses
what Django's ModelBackend refuses."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic import backends
from clinic.models import Role
from clinic.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_an_account_and_its_roles_are_one_query_and_asking_the_roles_is_none():
    user = UserFactory(role=Role.PRACTITIONER)
    user.groups.add(*UserFactory(role=Role.MANAGER).groups.all())
    with CaptureQueriesContext(connection) as queries:
        found = backends.AccountBackend().get_user(user.pk)
        roles = found.roles()
        staff = found.is_clinic_staff
    assert len(queries) == 1
    assert found == user and staff
    assert roles == {Role.PRACTITIONER, Role.MANAGER}
    assert found.password == user.password and found.last_login == user.last_login


def test_an_account_with_no_group_has_no_role_and_a_patient_none_whatever_its_groups(
    patient_user,
):
    nobody = UserFactory()
    nobody.groups.clear()
    assert backends.AccountBackend().get_user(nobody.pk).roles() == frozenset()
    patient_user.groups.add(*UserFactory(role=Role.MANAGER).groups.all())
    assert backends.AccountBackend().get_user(patient_user.pk).roles() == frozenset()


@pytest.mark.parametrize("user_id", [987654321, "not-a-number", None, "1; DROP TABLE"])
def test_an_unknown_or_malformed_id_is_nobody(user_id):
    assert backends.AccountBackend().get_user(user_id) is None


def _log_in(client, user) -> None:
    """Through the login page, as a person does (axes needs the request)."""
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_a_deactivated_account_is_nobody_and_its_session_ends(client):
    user = UserFactory(role=Role.FRONT_DESK)
    _log_in(client, user)
    assert client.session[BACKEND_SESSION_KEY] == backends.PATH
    assert client.get(reverse("dashboard")).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert backends.AccountBackend().get_user(user.pk) is None
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_staff_page_reads_the_session_and_the_account_in_two_queries(client):
    user = UserFactory(role=Role.FRONT_DESK)
    _log_in(client, user)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("dashboard"))
    tables = [q["sql"] for q in queries.captured_queries]
    assert sum("django_session" in sql for sql in tables[:2]) == 1
    account = [sql for sql in tables if 'FROM "clinic_user" u' in sql]
    assert len(account) == 1 and "auth_group" in account[0]
    assert not any(sql.startswith('SELECT "auth_group"') for sql in tables)
