"""Patients keep their password login while staff need two factors (issue 12 item 7)."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.tests.factories import PASSWORD

from .helpers import portal_patient

pytestmark = pytest.mark.django_db


def test_a_patient_logs_in_with_the_password_alone_when_staff_need_two_factors(settings):
    settings.REQUIRE_STAFF_2FA = True
    patient = portal_patient(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    client = Client()
    response = client.post(
        "/portal/login/", {"username": patient.portal_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    home = client.get("/portal/")
    assert home.status_code == 200 and "Ada" in home.content.decode()
    assert not TOTPDevice.objects.exists()
