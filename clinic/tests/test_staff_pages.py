"""The manager's staff pages and the invitation's link page (clinic/staff/views.py)."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clinic.models import Role, StaffInvite, User
from clinic.staff import links, services

from .factories import UserFactory
from .staff_helpers import PASSWORD, invite, manager, minted

pytestmark = pytest.mark.django_db
PASSWORDS = {"password": PASSWORD, "password_again": PASSWORD}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def main(response) -> str:
    return re.search(r"<main.*</main>", text(response)).group(0)


# --- Who may see them ---------------------------------------------------------------------


def test_only_managers_see_the_staff_link_and_pages(
    manager_client, front_desk_client, practitioner_client, patient_client, front_desk_user
):
    assert 'href="/staff/"' in text(manager_client.get("/"))
    assert 'href="/staff/"' not in text(front_desk_client.get("/"))
    for client in (front_desk_client, practitioner_client, patient_client):
        for url in ("/staff/", "/staff/new/", f"/staff/{front_desk_user.pk}/",
                    f"/staff/{front_desk_user.pk}/deactivate/"):  # fmt: skip
            assert client.get(url).status_code == 403, url
    assert Client().get("/staff/")["Location"].startswith("/login/")


def test_a_patient_account_is_not_a_staff_page(manager_client, patient_user):
    assert manager_client.get(f"/staff/{patient_user.pk}/").status_code == 404
    assert manager_client.post(f"/staff/{patient_user.pk}/deactivate/").status_code == 404


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_name_e_mail_roles_where_each_stands_and_last_login(
    manager_client, manager_user, front_desk_user
):
    User.objects.filter(pk=front_desk_user.pk).update(
        last_login=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    )
    invite(manager_user, roles=[Role.PRACTITIONER, Role.FRONT_DESK])
    gone = UserFactory(username="gone", first_name="Old", last_name="Hand", role=Role.FRONT_DESK)
    gone.is_active = False
    gone.save()
    page = main(manager_client.get("/staff/"))
    fran = re.search(rf'<tr id="staff-{front_desk_user.pk}">.*?</tr>', page).group(0)
    assert all(part in fran for part in ("Fran Desk", "fd@clinic.example", "Front desk", "Active",
                                         "Mon 2 Mar 2026, 09:30"))  # fmt: skip
    sam = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Sam Jones.*?</tr>", page).group(0)
    assert "Front desk, Practitioner" in sam and "Invitation waiting to be sent" in sam
    assert "Never" in sam
    assert "Deactivated" in page and "Old Hand" in page
    assert page.index("Sam Jones") < page.index("Old Hand")  # active accounts first


def test_the_list_page_costs_the_same_queries_for_one_account_or_many(
    manager_client, django_assert_max_num_queries
):
    """1-3. the session, its user and the user's roles; 4-6. the accounts, their roles,
    their invitations (the session is saved at most once a minute, not here)."""
    with django_assert_max_num_queries(6):
        assert manager_client.get("/staff/").status_code == 200
    for n in range(15):
        user = UserFactory(username=f"member{n}", role=Role.FRONT_DESK)
        StaffInvite.objects.create(user=user, expires_at=user.date_joined.replace(year=2100))
    with django_assert_max_num_queries(6):
        response = manager_client.get("/staff/")
    assert text(response).count('<tr id="staff-') == 16


# --- Inviting -----------------------------------------------------------------------------


def test_the_invitation_form_shows_every_problem_in_one_round(manager_client, front_desk_user):
    response = manager_client.post(
        "/staff/new/", {"first_name": "", "last_name": "", "email": front_desk_user.email.upper()}
    )
    assert response.status_code == 400
    page = main(response)
    assert "There are 4 problems" in page
    for message in ("Enter their first name.", "Enter their last name.",
                    "already uses this e-mail address", "Choose at least one role."):  # fmt: skip
        assert message in page
    assert not StaffInvite.objects.exists()


def test_a_manager_invites_someone_and_reads_when_it_goes(manager_client):
    response = manager_client.post(
        "/staff/new/",
        {"first_name": "Sam", "last_name": "Jones", "email": "sam@example.com",
         "roles": ["front_desk", "practitioner"]},
        follow=True,
    )  # fmt: skip
    user = User.objects.get(username="sam@example.com")
    assert response.redirect_chain == [(f"/staff/{user.pk}/", 302)]
    page = main(response)
    assert "The invitation will be e-mailed to sam@example.com in a moment" in page
    assert "for 72 hours" in page
    assert "Invitation waiting to be sent" in page
    assert set(user.groups.values_list("name", flat=True)) == {"front_desk", "practitioner"}


# --- One account --------------------------------------------------------------------------


def test_roles_are_changed_on_the_accounts_page(manager_client, front_desk_user):
    response = manager_client.post(
        f"/staff/{front_desk_user.pk}/", {"roles": ["practitioner"]}, follow=True
    )
    assert "Fran Desk’s roles are saved." in main(response)
    assert list(front_desk_user.groups.values_list("name", flat=True)) == ["practitioner"]


def test_no_role_at_all_is_refused_on_the_form(manager_client, front_desk_user):
    response = manager_client.post(f"/staff/{front_desk_user.pk}/", {})
    assert response.status_code == 400 and "Choose at least one role." in main(response)


def test_removing_your_own_manager_role_is_refused_with_the_reason(manager_client, manager_user):
    response = manager_client.post(f"/staff/{manager_user.pk}/", {"roles": ["front_desk"]})
    assert response.status_code == 400
    assert "You cannot remove your own manager role" in main(response)
    assert manager_user.has_role(Role.MANAGER)


def test_deactivating_asks_first_then_logs_the_member_out(manager_client, front_desk_client,
                                                          front_desk_user):  # fmt: skip
    url = f"/staff/{front_desk_user.pk}/deactivate/"
    confirm = manager_client.get(url)
    assert "They are logged out at once, everywhere" in main(confirm)
    assert User.objects.get(pk=front_desk_user.pk).is_active
    done = manager_client.post(url, follow=True)
    assert "account is deactivated: they are logged out" in main(done)
    assert front_desk_client.get("/patients/").status_code == 302  # to the login page
    again = manager_client.post(f"/staff/{front_desk_user.pk}/reactivate/", follow=True)
    assert "account is active again" in main(again)


def test_your_own_account_has_no_deactivate_button_and_the_service_refuses_it(
    manager_client, manager_user
):
    assert "Deactivate this account" not in main(manager_client.get(f"/staff/{manager_user.pk}/"))
    response = manager_client.post(f"/staff/{manager_user.pk}/deactivate/")
    assert response.status_code == 409
    assert "You cannot deactivate your own account" in main(response)
    assert User.objects.get(pk=manager_user.pk).is_active


def test_a_new_invitation_is_sent_from_the_accounts_page(manager_client, manager_user):
    sent = invite(manager_user)
    response = manager_client.post(f"/staff/{sent.user.pk}/invitation/", follow=True)
    assert "A new invitation is on its way." in main(response)
    sent.refresh_from_db()
    assert sent.revoked_at is not None


# --- The invitation's link ----------------------------------------------------------------


def test_the_link_sets_a_password_logs_in_and_then_is_dead(manager_user):
    token = minted(invite(manager_user))
    browser = Client()
    page = browser.get(f"/staff/welcome/{token}/")
    assert page.status_code == 200
    assert "You will log in with the username: <strong>sam.jones@example.com</strong>" in text(page)
    assert page["Cache-Control"].startswith("no-store")
    done = browser.post(f"/staff/welcome/{token}/", PASSWORDS)
    assert (done.status_code, done["Location"]) == (302, "/")
    assert browser.get("/patients/").status_code == 200  # logged in, as front desk
    user = User.objects.get(username="sam.jones@example.com")
    assert user.check_password(PASSWORD)
    again = Client().post(
        f"/staff/welcome/{token}/",
        {"password": "x-other-passphrase-1", "password_again": "x-other-passphrase-1"},
    )
    assert again.status_code == 410
    assert "already been used" in text(again) and "ask your clinic manager" in text(again)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_weak_or_mistyped_password_is_told_in_one_round_and_the_link_still_works(
    manager_user,
):
    token = minted(invite(manager_user))
    response = Client().post(
        f"/staff/welcome/{token}/", {"password": "12345678", "password_again": "1234567"}
    )
    assert response.status_code == 400
    page = main(response)
    assert "This password is entirely numeric." in page
    assert "The two passwords are not the same." in page
    assert Client().get(f"/staff/welcome/{token}/").status_code == 200


def test_a_password_like_the_members_name_is_refused(manager_user):
    token = minted(invite(manager_user))
    same = {"password": "sam.jones@example", "password_again": "sam.jones@example"}
    response = Client().post(f"/staff/welcome/{token}/", same)
    assert response.status_code == 400 and "too similar" in main(response)


def test_an_expired_link_says_so_and_to_ask_the_manager(manager_user, settings):
    settings.STAFF_INVITE_HOURS = 24
    token = minted(invite(manager_user))
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        response = Client().get(f"/staff/welcome/{token}/")
    assert response.status_code == 410
    assert "This link has expired: invitation links work for 24 hours." in text(response)
    assert "Ask your clinic manager to send you a new invitation." in text(response)


def test_an_unknown_link_is_a_404_in_plain_words():
    response = Client().get("/staff/welcome/no-such-token/")
    assert response.status_code == 404 and links.LINK_UNKNOWN in text(response)


def test_a_replaced_or_closed_accounts_link_no_longer_works(manager_user):
    sent = invite(manager_user)
    token = minted(sent)
    services.staff_reinvite(user=sent.user, by=manager_user)
    assert "replaced by a newer one" in text(Client().get(f"/staff/welcome/{token}/"))
    newer = minted(StaffInvite.objects.get(revoked_at=None))
    services.staff_deactivate(user=sent.user, by=manager())
    response = Client().post(f"/staff/welcome/{newer}/", PASSWORDS)
    assert response.status_code == 410 and "This account has been closed" in text(response)
    assert not User.objects.get(pk=sent.user_id).has_usable_password()


def test_a_links_token_never_reaches_the_log(manager_user, caplog):
    """Django logs every 4xx with its path: a weak password on a live link is a 400."""
    token = minted(invite(manager_user))
    weak = {"password": "123", "password_again": "123"}
    assert Client().post(f"/staff/welcome/{token}/", weak).status_code == 400
    assert Client().get("/staff/welcome/not-a-real-token/").status_code == 404
    assert "Bad Request: /staff/welcome/…/" in caplog.text
    assert token not in caplog.text and "not-a-real-token" not in caplog.text


def test_a_site_administrators_account_is_not_a_managers_to_close(manager_client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = manager_client.post(f"/staff/{admin.pk}/deactivate/")
    assert response.status_code == 403 and "site administrator" in main(response)
    assert User.objects.get(pk=admin.pk).is_active
