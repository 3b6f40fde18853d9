"""Fixtures for the calendar tests: a practitioner working Mon–Fri 09:00–17:00, a room and
a device."""

import datetime as dt

import pytest

from treatments.scheduling.models import WorkingHours

from .factories import DeviceFactory, PractitionerFactory, RoomFactory


@pytest.fixture
def practitioner(practitioner_user):
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    for weekday in range(5):
        WorkingHours.objects.create(
            practitioner=practitioner, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    return practitioner


@pytest.fixture
def room(db):
    return RoomFactory(name="Room A")


@pytest.fixture
def device(db):
    return DeviceFactory(name="Pen 1")
