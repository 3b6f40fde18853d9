"""The portal tests' cast: Ada with a portal account, logged in, and her practitioner."""

import pytest

from treatments.scheduling.tests.factories import PractitionerFactory

from .helpers import client_for, portal_patient


@pytest.fixture
def practitioner(practitioner_user):
    return PractitionerFactory(user=practitioner_user, display_name="Priya Shah")


@pytest.fixture
def patient(db):
    return portal_patient(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def ada(patient):
    return client_for(patient.portal_user)
