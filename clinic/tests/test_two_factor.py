"""Two factors for staff: a password, then a code from an authenticator app or a recovery
code, when the clinic requires it; patients keep their password login (issue 12 item 7)."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import Role
from clinic.tests.factories import PASSWORD, UserFactory
from clinic.two_factor import recovery_codes_new

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def required(settings):
    settings.REQUIRE_STAFF_2FA = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_of(device: TOTPDevice) -> str:
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device


def password_step(username="fd", path="/login/", next_url="/patients/"):
    client = Client()
    response = client.post(f"{path}?next={next_url}", {"username": username, "password": PASSWORD})
    return client, response


def test_staff_without_an_app_are_sent_to_set_one_up_with_a_qr_code(front_desk_user, clock):
    client, response = password_step()
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/two-factor/?next=")
    page = response.content.decode()
    assert "Set up two-factor sign-in" in page
    assert "<svg" in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    device = TOTPDevice.objects.get(user=front_desk_user, confirmed=False)
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1)
    assert len(secret.replace(" ", "")) == 32  # the key, typed by hand if need be

    response = client.post("/login/two-factor/", {"code": code_of(device), "next": "/patients/"})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
    assert len(codes) == 10
    assert "They are shown only" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200


def test_a_wrong_code_at_set_up_says_so_and_confirms_nothing(front_desk_user, clock):
    client, _ = password_step()
    client.get("/login/two-factor/")
    response = client.post("/login/two-factor/", {"code": "000000"})
    assert response.status_code == 400
    assert "did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert client.get("/patients/").status_code == 302


def test_staff_with_an_app_enter_its_code_after_the_password(front_desk_user, clock):
    device = enrolled(front_desk_user)
    client, response = password_step()
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/code/?next=")
    assert "Enter your code" in client.get(response["Location"]).content.decode()

    response = client.post("/login/code/?next=/patients/", {"code": "123456"})
    assert response.status_code == 400
    assert "did not match" in response.content.decode()
    clock.shift(dt.timedelta(seconds=31))  # django-otp slows repeated wrong codes
    response = client.post("/login/code/", {"code": code_of(device), "next": "/patients/"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_a_recovery_code_works_once(front_desk_user, clock):
    enrolled(front_desk_user)
    codes = recovery_codes_new(user=front_desk_user)
    client, _ = password_step()
    response = client.post("/login/code/", {"code": codes[0], "next": "/patients/"})
    assert response.status_code == 302
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    again, _ = password_step()
    assert again.post("/login/code/", {"code": codes[0]}).status_code == 400


@pytest.mark.parametrize(
    "path", ["/", "/patients/", "/staff/", "/audit/", "/admin/", "/portal/staff/", "/calendar/"]
)
def test_every_staff_page_needs_the_second_step(manager_user, path):
    enrolled(manager_user)
    client, _ = password_step("boss")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/code/")


def test_the_api_refuses_a_session_that_passed_only_the_password(front_desk_user):
    client, _ = password_step()
    response = client.get("/api/patients/")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["error"]["message"]


def test_an_open_redirect_is_not_followed_after_the_code(front_desk_user, clock):
    device = enrolled(front_desk_user)
    client, _ = password_step()
    response = client.post("/login/code/", {"code": code_of(device), "next": "https://evil.test/"})
    assert response["Location"] == "/"


def test_the_token_endpoint_needs_the_code_too(front_desk_user, clock):
    def ask(**extra):
        return Client().post(
            "/api/auth/token/",
            {"username": "fd", "password": PASSWORD, **extra},
            content_type="application/json",
        )

    response = ask()
    assert response.status_code == 400
    assert "no authenticator app" in response.json()["error"]["fields"]["otp"][0]
    device = enrolled(front_desk_user)
    response = ask()
    assert response.status_code == 400
    assert "6-digit code" in response.json()["error"]["fields"]["otp"][0]
    response = ask(otp="999999")
    assert response.status_code == 400
    assert "did not match" in response.json()["error"]["fields"]["otp"][0]
    clock.shift(dt.timedelta(seconds=31))
    response = ask(otp=code_of(device))
    assert response.status_code == 200 and response.json()["token"]


def test_nothing_changes_while_the_clinic_does_not_require_it(front_desk_user, settings):
    settings.REQUIRE_STAFF_2FA = False
    client, _ = password_step()
    assert client.get("/patients/").status_code == 200
    response = Client().post(
        "/api/auth/token/",
        {"username": "fd", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_it_is_on_unless_debug(monkeypatch):
    """Production settings require it; `make run` (DEBUG on) and the tests do not."""
    import importlib

    import clinic.settings as module

    monkeypatch.delenv("REQUIRE_STAFF_2FA", raising=False)
    monkeypatch.setenv("DEBUG", "false")
    assert importlib.reload(module).REQUIRE_STAFF_2FA is True
    monkeypatch.setenv("DEBUG", "true")
    assert importlib.reload(module).REQUIRE_STAFF_2FA is False
    monkeypatch.undo()
    importlib.reload(module)


def test_a_new_member_sets_up_the_app_right_after_choosing_a_password(manager_user, clock):
    member = UserFactory(username="newbie", role=Role.PRACTITIONER)
    client, response = password_step("newbie", next_url="/")
    assert client.get("/", follow=True).redirect_chain[-1][0].startswith("/login/two-factor/")
    assert TOTPDevice.objects.filter(user=member, confirmed=False).count() == 1
