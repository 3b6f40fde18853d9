"""Failed logins: spraying from one address stops, a stranger cannot lock an account's owner
out, and a refused client is told how long to wait (issue 12 item 2)."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from clinic.models import LoginFailures, Role
from clinic.tests.factories import PASSWORD, PatientUserFactory, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.10"


def page_login(username, password, ip, ua="Mozilla/5.0", path="/login/"):
    client = Client()
    response = client.post(
        path, {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_USER_AGENT=ua
    )
    return client, response


def api_login(username, password, ip, **extra):
    return Client().post(
        "/api/auth/token/",
        {"username": username, "password": password, **extra},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def accounts(db):
    staff = [UserFactory(username=f"staff{i}", role=Role.FRONT_DESK) for i in range(6)]
    return [UserFactory(username="boss", role=Role.MANAGER, is_staff=True), *staff]


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_spraying_28_passwords_across_7_accounts_stops_whatever_the_user_agent(
    accounts, clock, settings
):
    answers = []
    for attempt in range(28):
        account = accounts[attempt % 7]
        _, response = page_login(account.username, f"guess-{attempt}", ATTACKER, ua=f"ua-{attempt}")
        answers.append(response.status_code)
    limit = settings.AXES_FAILURE_LIMIT
    assert limit <= 10
    assert answers[: limit - 1] == [200] * (limit - 1)  # the form again: wrong password
    assert set(answers[limit:]) == {429}
    # Even the right password does not get in from that address now...
    client, response = page_login("staff3", PASSWORD, ATTACKER, ua="yet-another")
    assert response.status_code == 429 and not logged_in(client)
    # ...while everyone else still does.
    client, response = page_login("staff3", PASSWORD, OFFICE)
    assert response.status_code == 302 and logged_in(client)


def test_the_address_pause_says_how_long_and_ends_after_the_cool_off(accounts, clock, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        page_login(accounts[attempt % 7].username, "wrong", ATTACKER)
    _, response = page_login("boss", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "Too many failed logins from this address" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    clock.shift(dt.timedelta(minutes=15, seconds=1))
    client, response = page_login("boss", PASSWORD, ATTACKER)
    assert response.status_code == 302 and logged_in(client)


def test_a_stranger_cannot_lock_the_manager_out(accounts, clock):
    page_login("boss", PASSWORD, OFFICE)  # the manager's usual desk
    # Anonymous failures for the manager's account from many addresses, a few each.
    answers = [
        page_login("boss", f"guess-{n}", f"203.0.113.{n % 10 + 1}")[1].status_code
        for n in range(30)
    ]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}  # the strangers wait
    assert LoginFailures.objects.get(username="boss").failures == 5
    client, response = page_login("boss", PASSWORD, OFFICE)
    assert response.status_code == 302 and logged_in(client)


def test_after_five_failures_a_new_address_waits_a_growing_delay(accounts, clock, settings):
    assert settings.LOGIN_ACCOUNT_FAILURE_LIMIT == 5
    for n in range(5):
        page_login("staff1", "wrong", f"203.0.113.{n + 1}")
    client, response = page_login("staff1", PASSWORD, "192.0.2.7")
    assert response.status_code == 429 and not logged_in(client)
    assert response["Retry-After"] == "30"
    assert "Please wait 30 seconds" in response.content.decode()
    assert "Too many failed logins to this account" in response.content.decode()
    # The refused try checked no password and does not lengthen the delay.
    assert LoginFailures.objects.get(username="staff1").failures == 5

    clock.shift(dt.timedelta(seconds=31))
    page_login("staff1", "wrong-again", "203.0.113.9")
    _, response = page_login("staff1", PASSWORD, "192.0.2.7")
    assert response["Retry-After"] == "60"  # doubled

    clock.shift(dt.timedelta(seconds=61))
    client, response = page_login("staff1", PASSWORD, "192.0.2.7")
    assert response.status_code == 302 and logged_in(client)  # the owner, after waiting


def test_the_delay_stops_growing_at_its_maximum(accounts, clock, settings):
    for n in range(20):
        page_login("staff2", "wrong", f"203.0.113.{n + 1}")
        clock.shift(dt.timedelta(seconds=settings.LOGIN_DELAY_MAX_SECONDS + 1))
    row = LoginFailures.objects.get(username="staff2")
    assert row.failures == 20
    assert (row.delayed_until - row.last_failure_at).total_seconds() == 15 * 60


def test_an_unknown_username_is_delayed_like_a_real_one(accounts, clock):
    """The delay tells nobody whether an account exists."""
    for n in range(5):
        page_login("nobody-here", "wrong", f"203.0.113.{n + 1}")
        page_login("staff4", "wrong", f"203.0.113.{n + 1}")
    _, unknown = page_login("nobody-here", "wrong", "192.0.2.8")
    _, real = page_login("staff4", "wrong", "192.0.2.8")
    assert unknown.status_code == real.status_code == 429
    assert unknown["Retry-After"] == real["Retry-After"]


def test_the_api_answers_429_with_retry_after_in_the_error_shape(accounts, clock, settings):
    for n in range(5):
        api_login("staff5", "wrong", f"203.0.113.{n + 1}")
    response = api_login("staff5", PASSWORD, "192.0.2.9")
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    error = response.json()["error"]
    assert error["code"] == "throttled" and "wait 30 seconds" in error["message"]

    for n in range(settings.AXES_FAILURE_LIMIT):
        api_login(f"staff{n % 5}", "wrong", ATTACKER)
    response = api_login("boss", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert "from this address" in response.json()["error"]["message"]


def test_the_portal_login_has_the_same_limits(db, clock, settings):
    patient = PatientUserFactory(username="pat@example.com")
    for n in range(5):
        page_login(patient.username, "wrong", f"203.0.113.{n + 1}", path="/portal/login/")
    client, response = page_login(patient.username, PASSWORD, "192.0.2.10", path="/portal/login/")
    assert response.status_code == 429 and not logged_in(client)
    assert "Please wait" in response.content.decode()
    assert 'href="/portal/login/"' in response.content.decode()


def test_a_legitimate_user_who_mistypes_still_gets_in(accounts, clock):
    for _ in range(3):
        page_login("staff0", "typo", OFFICE)
    client, response = page_login("staff0", PASSWORD, OFFICE)
    assert response.status_code == 302 and logged_in(client)
