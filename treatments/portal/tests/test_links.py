"""Every portal link the messages make opens a portal page, after logging in if needed."""

import pytest
from django.test import Client
from django.urls import resolve

from clinic.tests.factories import PASSWORD
from treatments.messaging import render
from treatments.portal import views as portal_views

from .helpers import portal_patient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", sorted(render.PORTAL_PATHS))
def test_a_message_link_opens_its_portal_page_after_login(kind):
    path = render.PORTAL_PATHS[kind]
    assert resolve(path).func.__module__ == portal_views.__name__, path
    patient = portal_patient()
    client = Client()
    first = client.get(path)
    assert first.status_code == 302
    assert first["Location"] == f"/portal/login/?next={path}"
    landed = client.post(
        first["Location"],
        {"username": patient.email, "password": PASSWORD, "next": path},
        follow=True,
    )
    assert landed.status_code == 200
    assert landed.redirect_chain[0][0] == path
