"""The staff-account services (clinic/staff/services.py): each rule a manager expects, and
what deactivation ends (sessions, API tokens, open invitations)."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from clinic.errors import Conflict, Forbidden, Invalid, NotFound
from clinic.models import ApiToken, AuditEvent, Role, StaffInvite, User
from clinic.staff import services
from clinic.staff.selectors import Status, account_status
from clinic.tokens import token_issue

from .factories import PASSWORD, PatientUserFactory, UserFactory
from .staff_helpers import invite, logged_in, manager

pytestmark = pytest.mark.django_db


def roles_of(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


# --- Inviting -----------------------------------------------------------------------------


def test_an_invitation_makes_an_account_with_its_roles_and_no_password(manager_user):
    sent = invite(manager_user, roles=[Role.PRACTITIONER, Role.FRONT_DESK, Role.PRACTITIONER])
    user = sent.user
    assert (user.username, user.email) == ("sam.jones@example.com", "Sam.Jones@example.com")
    assert (user.first_name, user.last_name) == ("Sam", "Jones")
    assert roles_of(user) == {Role.FRONT_DESK, Role.PRACTITIONER}
    assert user.is_active and not user.is_patient and not user.is_staff
    assert not user.has_usable_password()
    assert sent.token_hash is None and sent.created_by == manager_user
    assert account_status(user).code == Status.INVITED
    actions = AuditEvent.objects.filter(actor=manager_user).values_list("object_type", "action")
    # The practitioner role also puts them on the rota (treatments.resources.receivers).
    assert set(actions) == {
        ("clinic.user", "create"),
        ("clinic.staffinvite", "create"),
        ("treatments.practitioner", "create"),
    }


def test_an_invited_manager_can_open_the_settings_in_django_admin(manager_user):
    assert invite(manager_user, roles=[Role.MANAGER]).user.is_staff


def test_every_problem_with_an_invitation_is_told_at_once(manager_user):
    with pytest.raises(Invalid) as caught:
        services.staff_invite(email="not-an-address", first_name=" ", last_name="", roles=[],
                              by=manager_user)  # fmt: skip
    assert set(caught.value.fields) == {"email", "first_name", "last_name", "roles"}
    assert caught.value.fields["roles"] == ["Choose at least one role."]
    assert not StaffInvite.objects.exists()


def test_an_unknown_role_is_refused(manager_user):
    with pytest.raises(Invalid) as caught:
        invite(manager_user, roles=["owner"])
    assert "Unknown role: owner" in caught.value.fields["roles"][0]


@pytest.mark.parametrize("taken", ["SAM.JONES@example.com", "sam.jones@EXAMPLE.com"])
def test_an_e_mail_address_belongs_to_one_account_whatever_its_case(manager_user, taken):
    UserFactory(username="sam", email=taken)
    with pytest.raises(Invalid) as caught:
        invite(manager_user)
    assert caught.value.fields == {"email": [services.EMAIL_TAKEN]}


def test_a_patient_portal_account_with_the_address_counts_as_taken(manager_user):
    PatientUserFactory(username="sam.jones@example.com", email="")
    with pytest.raises(Invalid, match="Some fields"):
        invite(manager_user)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.PRACTITIONER])
def test_only_a_manager_can_invite(role):
    with pytest.raises(Forbidden):
        invite(UserFactory(username="someone", role=role))
    assert not User.objects.filter(email__iexact="sam.jones@example.com").exists()


# --- Roles --------------------------------------------------------------------------------


def test_roles_are_changed_and_audited_from_and_to(manager_user, front_desk_user):
    services.staff_set_roles(user=front_desk_user, roles=[Role.PRACTITIONER], by=manager_user)
    assert roles_of(front_desk_user) == {Role.PRACTITIONER}
    event = AuditEvent.objects.get(action="update", object_id=str(front_desk_user.pk))
    assert event.detail == {"roles": {"from": ["front_desk"], "to": ["practitioner"]}}


def test_other_groups_are_left_alone_when_roles_change(manager_user, front_desk_user):
    other = Group.objects.create(name="newsletter")
    front_desk_user.groups.add(other)
    services.staff_set_roles(user=front_desk_user, roles=[Role.MANAGER], by=manager_user)
    assert roles_of(front_desk_user) == {Role.MANAGER, "newsletter"}
    assert User.objects.get(pk=front_desk_user.pk).is_staff


def test_an_account_keeps_at_least_one_role(manager_user, front_desk_user):
    with pytest.raises(Invalid) as caught:
        services.staff_set_roles(user=front_desk_user, roles=[], by=manager_user)
    assert caught.value.fields == {"roles": ["Choose at least one role."]}
    assert roles_of(front_desk_user) == {Role.FRONT_DESK}


def test_a_manager_cannot_remove_their_own_manager_role(manager_user):
    manager()  # another manager exists: still refused
    with pytest.raises(Conflict, match="your own manager role"):
        services.staff_set_roles(user=manager_user, roles=[Role.FRONT_DESK], by=manager_user)
    assert roles_of(manager_user) == {Role.MANAGER}


def test_a_manager_may_add_roles_to_their_own_account(manager_user):
    roles = [Role.MANAGER, Role.PRACTITIONER]
    services.staff_set_roles(user=manager_user, roles=roles, by=manager_user)
    assert roles_of(manager_user) == set(roles)


def test_one_manager_can_remove_another_managers_role(manager_user):
    other = manager()
    services.staff_set_roles(user=other, roles=[Role.FRONT_DESK], by=manager_user)
    assert roles_of(other) == {Role.FRONT_DESK}
    assert not User.objects.get(pk=other.pk).is_staff


def test_a_site_administrator_cannot_leave_the_clinic_without_a_manager(manager_user):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(Conflict, match="only active manager"):
        services.staff_set_roles(user=manager_user, roles=[Role.FRONT_DESK], by=admin)
    with pytest.raises(Conflict, match="only active manager"):
        services.staff_deactivate(user=manager_user, by=admin)


def test_a_demoted_manager_cannot_act_on_a_decision_taken_before(manager_user):
    """Two managers removing each other: the second, no longer a manager, is refused."""
    other = manager()
    services.staff_set_roles(user=other, roles=[Role.FRONT_DESK], by=manager_user)
    stale = User.objects.get(pk=other.pk)
    stale._roles = frozenset({Role.MANAGER})  # what its request saw when it began
    with pytest.raises(Forbidden):
        services.staff_set_roles(user=manager_user, roles=[Role.FRONT_DESK], by=stale)
    assert roles_of(manager_user) == {Role.MANAGER}


def test_a_patient_account_is_never_staff(manager_user, patient_user):
    with pytest.raises(NotFound):
        services.staff_set_roles(user=patient_user, roles=[Role.FRONT_DESK], by=manager_user)
    with pytest.raises(NotFound):
        services.staff_deactivate(user=patient_user, by=manager_user)
    assert not User.objects.get(pk=patient_user.pk).groups.exists()


def test_a_site_administrators_account_is_changed_only_by_one(manager_user):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(Forbidden, match="site administrator"):
        services.staff_deactivate(user=admin, by=manager_user)


# --- Deactivating -------------------------------------------------------------------------


def test_deactivation_ends_the_accounts_sessions_and_tokens_at_once(manager_user):
    member = UserFactory(username="fran", role=Role.FRONT_DESK)
    browser = logged_in("fran")
    assert browser.get("/patients/").status_code == 200
    _, key = token_issue(user=member)
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/patients/").status_code == 200
    assert Session.objects.count() == 1

    services.staff_deactivate(user=member, by=manager_user)

    assert Session.objects.count() == 0  # gone from the store, not only refused
    assert browser.get("/patients/")["Location"].startswith("/login/")
    assert api.get("/api/patients/").status_code == 401
    assert not ApiToken.objects.filter(user=member).exists()
    event = AuditEvent.objects.get(action="update", object_id=str(member.pk))
    assert event.detail == {"is_active": False, "sessions_ended": 1, "tokens_deleted": 1,
                            "invitations_revoked": 0}  # fmt: skip


def test_a_session_the_store_does_not_list_still_ends(manager_user, settings):
    """A cookie-based store cannot be searched: the raised session epoch ends it anyway,
    and keeps it dead after a reactivation."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    member = UserFactory(username="fran", role=Role.FRONT_DESK)
    browser = logged_in("fran")
    assert browser.get("/patients/").status_code == 200
    services.staff_deactivate(user=member, by=manager_user)
    services.staff_reactivate(user=member, by=manager_user)
    assert browser.get("/patients/").status_code == 302
    assert logged_in("fran").get("/patients/").status_code == 200


def test_a_deactivated_account_cannot_log_in_or_get_a_token(manager_user):
    member = UserFactory(username="fran", role=Role.FRONT_DESK)
    services.staff_deactivate(user=member, by=manager_user)
    assert logged_in("fran") is None
    credentials = {"username": "fran", "password": PASSWORD}
    response = Client().post("/api/auth/token/", credentials, content_type="application/json")
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_other_accounts_keep_their_sessions(manager_user, front_desk_user):
    keeps = logged_in(front_desk_user.username)
    services.staff_deactivate(user=UserFactory(username="fran", role=Role.FRONT_DESK),
                              by=manager_user)  # fmt: skip
    assert keeps.get("/patients/").status_code == 200


def test_a_manager_cannot_deactivate_themselves(manager_user):
    manager()
    with pytest.raises(Conflict, match="your own account"):
        services.staff_deactivate(user=manager_user, by=manager_user)
    assert User.objects.get(pk=manager_user.pk).is_active


def test_deactivating_revokes_an_open_invitation(manager_user):
    sent = invite(manager_user)
    services.staff_deactivate(user=sent.user, by=manager_user)
    sent.refresh_from_db()
    assert sent.revoked_at is not None
    assert account_status(User.objects.get(pk=sent.user_id)).code == Status.DEACTIVATED


def test_deactivating_and_reactivating_twice_changes_nothing_more(manager_user, front_desk_user):
    for _ in range(2):
        services.staff_deactivate(user=front_desk_user, by=manager_user)
    for _ in range(2):
        services.staff_reactivate(user=front_desk_user, by=manager_user)
    assert AuditEvent.objects.filter(object_id=str(front_desk_user.pk)).count() == 2


def test_a_reactivated_account_logs_in_with_its_old_password_and_roles(
    manager_user, front_desk_user
):
    services.staff_deactivate(user=front_desk_user, by=manager_user)
    services.staff_reactivate(user=front_desk_user, by=manager_user)
    assert logged_in(front_desk_user.username).get("/patients/").status_code == 200


# --- A new invitation ---------------------------------------------------------------------


def test_a_new_invitation_replaces_the_old_one(manager_user):
    first = invite(manager_user)
    second = services.staff_reinvite(user=first.user, by=manager_user)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.is_open


def test_no_new_invitation_once_a_password_is_set_or_the_account_is_closed(
    manager_user, front_desk_user
):
    with pytest.raises(Conflict, match="already set a password"):
        services.staff_reinvite(user=front_desk_user, by=manager_user)
    sent = invite(manager_user)
    services.staff_deactivate(user=sent.user, by=manager_user)
    with pytest.raises(Conflict, match="reactivate it first"):
        services.staff_reinvite(user=sent.user, by=manager_user)
