"""`/api/staff/` (clinic/staff/api.py): managers only, invitations, roles, deactivation;
the 400/403/404/409 answers in the one error shape, and a list whose queries do not grow."""

import pytest
from rest_framework.test import APIClient

from clinic.models import Role, StaffInvite, User
from clinic.tests.factories import UserFactory
from clinic.tests.test_api import assert_error_shape
from clinic.tokens import token_issue

from .staff_helpers import manager

pytestmark = pytest.mark.django_db
NEW = {"email": "sam@example.com", "first_name": "Sam", "last_name": "Jones",
       "roles": ["front_desk"]}  # fmt: skip


def test_a_manager_invites_and_gets_the_account_back(manager_client):
    response = manager_client.post("/api/staff/", NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    user = User.objects.get(email="sam@example.com")
    assert body == {
        "id": user.pk,
        "username": "sam@example.com",
        "email": "sam@example.com",
        "first_name": "Sam",
        "last_name": "Jones",
        "roles": ["front_desk"],
        "is_active": True,
        "status": "invited",
        "invitation_expires_at": None,  # not sent yet
        "last_login": None,
        "date_joined": body["date_joined"],
    }
    assert StaffInvite.objects.get().user == user


@pytest.mark.parametrize("who", ["front_desk_client", "practitioner_client"])
def test_other_roles_get_a_403_everywhere(request, who, manager_user):
    client = request.getfixturevalue(who)
    url = f"/api/staff/{manager_user.pk}/"
    for response in (
        client.get("/api/staff/"),
        client.post("/api/staff/", NEW, format="json"),
        client.get(url),
        client.patch(url, {"roles": ["front_desk"]}, format="json"),
        client.post(f"{url}deactivate/"),
        client.post(f"{url}reactivate/"),
        client.post(f"{url}invitation/"),
    ):
        assert_error_shape(response, 403)
    assert not User.objects.filter(email="sam@example.com").exists()


def test_a_patient_account_gets_a_404_and_is_never_a_staff_id(
    patient_client, patient_user, manager_client
):
    assert_error_shape(patient_client.get("/api/staff/"), 404)
    assert_error_shape(manager_client.get(f"/api/staff/{patient_user.pk}/"), 404)
    patch = manager_client.patch(
        f"/api/staff/{patient_user.pk}/", {"roles": ["manager"]}, format="json"
    )
    assert_error_shape(patch, 404)
    assert_error_shape(manager_client.post(f"/api/staff/{patient_user.pk}/deactivate/"), 404)
    assert not patient_user.groups.exists()


def test_an_unknown_id_is_a_404(manager_client):
    assert_error_shape(manager_client.get("/api/staff/999999/"), 404)
    assert_error_shape(manager_client.get("/api/staff/99999999999999999999999/"), 404)


def test_anonymous_gets_a_401(anon_client):
    assert_error_shape(anon_client.get("/api/staff/"), 401)


def test_every_problem_is_a_400_with_field_messages_at_once(manager_client, front_desk_user):
    body = {"email": front_desk_user.email.upper(), "first_name": "", "roles": []}
    error = assert_error_shape(manager_client.post("/api/staff/", body, format="json"), 400)
    assert set(error["fields"]) == {"email", "first_name", "last_name", "roles"}
    assert error["fields"]["roles"] == ["Choose at least one role."]
    assert "already uses this e-mail address" in error["fields"]["email"][0]


def test_a_name_or_flag_of_the_wrong_type_is_a_400_not_coerced(manager_client, front_desk_user):
    """schemathesis found `"first_name": -2044` accepted as "-2044": the schema says text."""
    body = {**NEW, "first_name": -2044, "last_name": True}
    error = assert_error_shape(manager_client.post("/api/staff/", body, format="json"), 400)
    assert error["fields"] == {"first_name": ["Must be text."], "last_name": ["Must be text."]}
    assert not StaffInvite.objects.exists()
    url = f"/api/staff/{front_desk_user.pk}/"
    error = assert_error_shape(manager_client.patch(url, {"is_active": 0}, format="json"), 400)
    assert error["fields"] == {"is_active": ["Must be true or false."]}
    front_desk_user.refresh_from_db()
    assert front_desk_user.is_active


def test_an_unknown_role_is_a_400(manager_client):
    body = {**NEW, "roles": ["owner"]}
    error = assert_error_shape(manager_client.post("/api/staff/", body, format="json"), 400)
    assert list(error["fields"]) == ["roles.0"]


def test_roles_are_changed_by_patch(manager_client, front_desk_user):
    response = manager_client.patch(
        f"/api/staff/{front_desk_user.pk}/",
        {"roles": ["practitioner", "front_desk"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["front_desk", "practitioner"]


def test_removing_your_own_manager_role_is_a_409_that_says_why(manager_client, manager_user):
    manager()
    response = manager_client.patch(
        f"/api/staff/{manager_user.pk}/", {"roles": ["front_desk"]}, format="json"
    )
    error = assert_error_shape(response, 409)
    assert "You cannot remove your own manager role" in error["message"]


def test_deactivating_yourself_is_a_409_by_either_route(manager_client, manager_user):
    url = f"/api/staff/{manager_user.pk}/"
    error = assert_error_shape(manager_client.post(f"{url}deactivate/"), 409)
    assert "You cannot deactivate your own account" in error["message"]
    assert_error_shape(manager_client.patch(url, {"is_active": False}, format="json"), 409)
    assert User.objects.get(pk=manager_user.pk).is_active


def test_a_patch_is_all_or_nothing(manager_client, manager_user):
    response = manager_client.patch(
        f"/api/staff/{manager_user.pk}/",
        {"roles": ["manager", "practitioner"], "is_active": False},
        format="json",
    )
    assert_error_shape(response, 409)
    assert set(manager_user.groups.values_list("name", flat=True)) == {"manager"}


def test_deactivation_stops_the_accounts_token_at_once(manager_client, front_desk_user):
    _, key = token_issue(user=front_desk_user)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/patients/").status_code == 200
    response = manager_client.post(f"/api/staff/{front_desk_user.pk}/deactivate/")
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["status"]) == (False, "deactivated")
    assert_error_shape(script.get("/api/patients/"), 401)
    back = manager_client.patch(
        f"/api/staff/{front_desk_user.pk}/", {"is_active": True}, format="json"
    )
    assert back.json()["status"] == "active"
    assert_error_shape(script.get("/api/patients/"), 401)  # the old token stays dead


def test_a_new_invitation_for_an_account_with_a_password_is_a_409(manager_client, front_desk_user):
    response = manager_client.post(f"/api/staff/{front_desk_user.pk}/invitation/")
    assert "already set a password" in assert_error_shape(response, 409)["message"]


def test_a_new_invitation_goes_to_an_account_still_waiting(manager_client):
    user = User.objects.get(pk=manager_client.post("/api/staff/", NEW, format="json").json()["id"])
    response = manager_client.post(f"/api/staff/{user.pk}/invitation/")
    assert response.status_code == 200
    assert StaffInvite.objects.filter(user=user, revoked_at=None).count() == 1
    assert StaffInvite.objects.filter(user=user).count() == 2


def test_the_list_costs_the_same_queries_for_one_account_or_many(
    manager_client, django_assert_max_num_queries
):
    """1-3. the session, its user and the user's roles; 4. the count for the pager;
    5-7. the accounts, their roles, their invitations (the session is saved at most once a
    minute, not here)."""

    def listed() -> int:
        with django_assert_max_num_queries(7):
            response = manager_client.get("/api/staff/")
        assert response.status_code == 200
        return response.json()["count"]

    assert listed() == 1
    for n in range(15):
        user = UserFactory(username=f"member{n}", role=Role.FRONT_DESK)
        StaffInvite.objects.create(user=user, expires_at=user.date_joined.replace(year=2100))
    assert listed() == 16
