"""A member of staff changes their own password: the current one first; this browser stays
logged in, their other logins and API tokens stop."""

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import ApiToken, AuditEvent
from clinic.tokens import token_issue

from .factories import PASSWORD
from .staff_helpers import logged_in

pytestmark = pytest.mark.django_db
URL = "/account/password/"
NEW = "a-fresh-long-passphrase"


def post(client, current=PASSWORD, new=NEW, again=None):
    data = {"current_password": current, "password": new, "password_again": again or new}
    return client.post(URL, data)


def test_every_staff_page_links_to_it_and_it_asks_for_the_current_password(front_desk_user):
    browser = logged_in(front_desk_user.username)
    assert f'href="{URL}"' in browser.get(reverse("dashboard")).content.decode()
    page = browser.get(URL)
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()


def test_a_new_password_keeps_this_login_and_ends_the_others_and_the_tokens(front_desk_user):
    here, elsewhere = logged_in(front_desk_user.username), logged_in(front_desk_user.username)
    _, key = token_issue(user=front_desk_user)
    done = post(here)
    assert (done.status_code, done["Location"]) == (302, reverse("dashboard"))
    front_desk_user.refresh_from_db()
    assert front_desk_user.check_password(NEW)
    assert here.get("/patients/").status_code == 200
    assert elsewhere.get("/patients/")["Location"].startswith("/login/")
    assert not ApiToken.objects.filter(user=front_desk_user).exists()
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/patients/").status_code == 401
    assert logged_in(front_desk_user.username) is None
    assert logged_in(front_desk_user.username, NEW) is not None
    event = AuditEvent.objects.get(action="update", object_type="clinic.user")
    assert (event.actor, event.detail) == (front_desk_user, {"password": "changed"})
    assert NEW not in str(event.detail) and PASSWORD not in str(event.detail)


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"current": "not-my-password"}, "current_password", "not your current password"),
        ({"new": "12345678"}, "password", "too common"),
        ({"again": "something-else-entirely"}, "password_again", "not the same"),
        ({"new": PASSWORD}, "password", "other than your current one"),
        ({"current": ""}, "current_password", "Type your current password"),
    ],
)
def test_a_wrong_or_weak_answer_is_a_400_naming_the_field_and_changes_nothing(
    front_desk_user, fields, field, says
):
    browser = logged_in(front_desk_user.username)
    response = post(browser, **fields)
    assert response.status_code == 400
    assert says in str(response.context["form"].errors[field])
    front_desk_user.refresh_from_db()
    assert front_desk_user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="update", object_type="clinic.user").exists()


def test_five_wrong_current_passwords_end_the_session(front_desk_user):
    browser = logged_in(front_desk_user.username)
    for _ in range(4):
        assert post(browser, current="guess").status_code == 400
    ended = post(browser, current="guess")
    assert ended["Location"].startswith("/login/")
    assert browser.get("/patients/")["Location"].startswith("/login/")
    front_desk_user.refresh_from_db()
    assert front_desk_user.check_password(PASSWORD)


def test_patients_and_visitors_cannot_open_it(patient_user):
    assert Client().get(URL)["Location"].startswith("/login/")
    patient = Client()
    patient.force_login(patient_user)
    assert patient.get(URL).status_code == 403
