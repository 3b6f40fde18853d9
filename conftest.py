"""Fixtures shared by every app's tests: one user and one logged-in client per role."""

import pytest
from rest_framework.test import APIClient

from clinic.models import Role
from clinic.tests.factories import PatientUserFactory, UserFactory


@pytest.fixture
def front_desk_user(db):
    return UserFactory(username="fd", role=Role.FRONT_DESK, first_name="Fran", last_name="Desk")


@pytest.fixture
def practitioner_user(db):
    return UserFactory(
        username="prac", role=Role.PRACTITIONER, first_name="Priya", last_name="Shah"
    )


@pytest.fixture
def manager_user(db):
    return UserFactory(username="boss", role=Role.MANAGER, is_staff=True)


@pytest.fixture
def patient_user(db):
    return PatientUserFactory(username="pat")


def _client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def front_desk_client(front_desk_user):
    return _client_for(front_desk_user)


@pytest.fixture
def practitioner_client(practitioner_user):
    return _client_for(practitioner_user)


@pytest.fixture
def manager_client(manager_user):
    return _client_for(manager_user)


@pytest.fixture
def patient_client(patient_user):
    return _client_for(patient_user)


@pytest.fixture
def anon_client():
    return APIClient()
