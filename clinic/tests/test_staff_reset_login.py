"""A manager resets a member's login: a forgotten password, or a lost phone with the
authenticator app and the recovery codes. The old password, second factor, sessions and API
tokens stop at once; a new invitation sets a password and the app again."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.errors import Conflict, Forbidden, NotFound
from clinic.models import ApiToken, AuditEvent, Role, StaffInvite
from clinic.staff import services
from clinic.tokens import token_issue
from clinic.two_factor import recovery_codes_new

from .factories import PASSWORD, PatientUserFactory, UserFactory
from .staff_helpers import PASSWORD as NEW_PASSWORD
from .staff_helpers import logged_in, manager, minted

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    """A front-desk member with a password, an authenticator app and recovery codes."""
    user = UserFactory(username="fran", email="fran@clinic.example", role=Role.FRONT_DESK)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    recovery_codes_new(user=user)
    return user


def test_a_reset_ends_the_password_second_factor_sessions_and_tokens_and_invites_again(
    manager_user, member
):
    browser = logged_in("fran")
    assert browser.get("/patients/").status_code == 200
    _, key = token_issue(user=member)

    sent = services.staff_reset_login(user=member, by=manager_user)

    member.refresh_from_db()
    assert not member.has_usable_password()
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticDevice.objects.filter(user=member).exists()
    assert Session.objects.count() == 0
    assert browser.get("/patients/")["Location"].startswith("/login/")
    assert not ApiToken.objects.filter(user=member).exists()
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/patients/").status_code == 401
    assert logged_in("fran") is None  # the old password is dead
    assert (sent.user, sent.created_by, sent.is_open) == (member, manager_user, True)
    assert member.groups.filter(name=Role.FRONT_DESK).exists()  # roles stay
    event = AuditEvent.objects.get(action="update", object_id=str(member.pk))
    assert (event.actor, event.detail) == (
        manager_user,
        {"login_reset": True, "sessions_ended": 1, "tokens_deleted": 1,
         "authenticators_removed": 2},
    )  # fmt: skip


def test_the_new_invitation_sets_a_password_and_then_asks_for_an_app_again(
    manager_user, member, settings
):
    settings.REQUIRE_STAFF_2FA = True
    token = minted(services.staff_reset_login(user=member, by=manager_user))
    browser = Client()
    done = browser.post(
        f"/staff/welcome/{token}/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    page = browser.get("/patients/", follow=True)
    assert page.redirect_chain[-1][0].startswith("/login/two-factor/")
    assert "Set up two-factor sign-in" in page.content.decode()


def test_a_manager_cannot_reset_their_own_login(manager_user):
    manager()
    with pytest.raises(Conflict, match="another manager"):
        services.staff_reset_login(user=manager_user, by=manager_user)
    assert not StaffInvite.objects.exists()


def test_only_a_manager_resets_and_never_a_deactivated_account_or_one_without_e_mail(
    manager_user, member, front_desk_user
):
    with pytest.raises(Forbidden):
        services.staff_reset_login(user=member, by=front_desk_user)
    services.staff_deactivate(user=member, by=manager_user)
    with pytest.raises(Conflict, match="reactivate it first"):
        services.staff_reset_login(user=member, by=manager_user)
    no_mail = UserFactory(username="nomail", email="", role=Role.PRACTITIONER)
    with pytest.raises(Conflict, match="no e-mail address"):
        services.staff_reset_login(user=no_mail, by=manager_user)
    assert no_mail.has_usable_password()  # nothing half done
    assert not StaffInvite.objects.exists()


def test_a_patient_account_is_not_staff_and_an_administrator_only_by_one(manager_user):
    with pytest.raises(NotFound):
        services.staff_reset_login(user=PatientUserFactory(username="pat"), by=manager_user)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(Forbidden, match="site administrator"):
        services.staff_reset_login(user=admin, by=manager_user)


def test_the_page_asks_first_then_resets_and_says_where_the_invitation_goes(manager_user, member):
    browser = logged_in(manager_user.username, PASSWORD)
    url = reverse("staff:reset_login", args=[member.pk])
    detail = browser.get(reverse("staff:detail", args=[member.pk])).content.decode()
    assert url in detail
    page = browser.get(url)
    assert page.status_code == 200
    assert f"Reset {member.display_name}’s login?" in page.content.decode()
    assert member.groups.exists() and TOTPDevice.objects.filter(user=member).exists()
    done = browser.post(url, follow=True)
    assert done.redirect_chain[-1][0] == reverse("staff:detail", args=[member.pk])
    assert "fran@clinic.example" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=member).exists()
    own = browser.post(reverse("staff:reset_login", args=[manager_user.pk]))
    assert own.status_code == 409 and "another manager" in own.content.decode()


def test_the_api_resets_and_answers_409_for_ones_own_account(manager_user, member):
    _, key = token_issue(user=manager_user)
    api = Client(headers={"Authorization": f"Token {key}"})
    response = api.post(f"/api/staff/{member.pk}/reset-login/")
    assert response.status_code == 200
    assert StaffInvite.objects.filter(user=member, revoked_at=None).count() == 1
    assert api.post(f"/api/staff/{manager_user.pk}/reset-login/").status_code == 409
    assert api.post("/api/staff/987654/reset-login/").status_code == 404
