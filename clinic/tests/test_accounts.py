import datetime as dt
import importlib

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from clinic.models import User
from clinic.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_data_migration_creates_the_role_groups():
    from django.apps import apps

    migration = importlib.import_module("clinic.migrations.0002_role_groups")
    Group.objects.all().delete()
    migration.create_groups(apps, None)
    assert set(Group.objects.values_list("name", flat=True)) == {
        "front_desk",
        "practitioner",
        "manager",
    }


def test_every_page_requires_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_front_desk_user_logs_in_and_sees_the_dashboard(client, front_desk_user):
    response = client.post(reverse("login"), {"username": "fd", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert b"Dashboard" in response.content
    assert b"Front desk" in response.content


def test_a_wrong_password_shows_a_clear_message(client, front_desk_user):
    response = client.post(reverse("login"), {"username": "fd", "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_a_malformed_login_is_a_clear_4xx_or_form_error(client):
    response = client.post(reverse("login"), {"username": ""})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_navigation_depends_on_the_role(front_desk_client, manager_client):
    front = front_desk_client.get(reverse("dashboard")).content.decode()
    manager = manager_client.get(reverse("dashboard")).content.decode()
    assert "Protocols, rooms, devices" not in front
    assert "Protocols, rooms, devices" in manager
    assert reverse("admin:index") in manager


def test_a_patient_account_goes_to_the_portal_not_the_staff_dashboard(patient_client):
    response = patient_client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert b"Front desk" not in response.content


def test_a_patient_account_cannot_reach_staff_pages_or_endpoints(patient_client):
    assert patient_client.get(reverse("admin:index")).status_code == 302  # admin's own login
    assert patient_client.get("/api/schema/?format=json").status_code == 404


def test_a_patient_account_can_never_hold_staff_rights(patient_user):
    from django.db import IntegrityError, transaction

    patient_user.is_staff = True
    with pytest.raises(IntegrityError), transaction.atomic():
        patient_user.save()


def test_an_address_that_failed_too_often_waits_even_with_the_right_password(
    client, front_desk_user, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "fd", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "fd", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"]
    assert b"Please wait before logging in again" in response.content
    assert "_auth_user_id" not in client.session


def test_staff_sessions_expire_after_30_minutes_idle(client, front_desk_user, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        client.post(reverse("login"), {"username": "fd", "password": PASSWORD})
        t.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("dashboard")).status_code == 200  # activity renews it
        t.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("dashboard")).status_code == 200
        t.shift(dt.timedelta(minutes=31))
        response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_ends_the_session(front_desk_client):
    front_desk_client.post(reverse("logout"))
    assert front_desk_client.get(reverse("dashboard")).status_code == 302


def test_users_with_several_roles_see_each_roles_section():
    user = UserFactory(username="both", role="front_desk")
    user.groups.add(Group.objects.get(name="practitioner"))
    user = User.objects.get(pk=user.pk)
    assert user.roles() == {"front_desk", "practitioner"}
