import datetime as dt

import factory

from clinic.models import Role
from clinic.tests.factories import UserFactory
from treatments.scheduling.models import (
    Course,
    Device,
    Practitioner,
    Protocol,
    Room,
    Session,
    WorkingHours,
)
from treatments.scheduling.protocols import seed_protocols


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    user = factory.SubFactory(UserFactory, role=Role.PRACTITIONER)
    display_name = factory.LazyAttribute(lambda p: p.user.get_full_name() or p.user.username)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    practitioner = factory.SubFactory(PractitionerFactory)
    weekday = 0
    start = dt.time(9, 0)
    end = dt.time(17, 0)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Room {n}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device
        django_get_or_create = ["serial"]

    name = factory.Sequence(lambda n: f"Pen {n}")
    model = "SkinPen Precision"
    serial = factory.Sequence(lambda n: f"SN-{n:05d}")


def protocol(indication: str = "acne_scars") -> Protocol:
    """The seeded protocol for an indication (re-seeded: transactional tests flush tables)."""
    seed_protocols(Protocol)
    return Protocol.objects.get(indication=indication)


# Calendar data made directly (tests of reads: the calendar, feeds, reference endpoints).
# Booking and transitions go through treatments.scheduling.services; their tests use the services.


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    patient = factory.SubFactory("patients.tests.factories.PatientFactory")
    practitioner = factory.SubFactory(PractitionerFactory)
    protocol = factory.LazyFunction(protocol)
    areas = factory.LazyFunction(lambda: ["cheeks", "forehead"])
    planned_sessions = 4
    interval_days = 28
    status = Course.Status.BOOKED
    created_by = factory.LazyAttribute(lambda c: c.practitioner.user)


class SessionFactory(factory.django.DjangoModelFactory):
    """A session row; `starts_at` must be aware. Ends `minutes` (default 90) later."""

    class Meta:
        model = Session
        exclude = ["minutes"]

    course = factory.SubFactory(CourseFactory)
    patient = factory.LazyAttribute(lambda s: s.course.patient)
    practitioner = factory.LazyAttribute(lambda s: s.course.practitioner)
    room = factory.SubFactory(RoomFactory)
    device = None
    number = factory.Sequence(lambda n: n + 1)
    starts_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    minutes = 90
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(minutes=s.minutes))
    status = Session.Status.BOOKED


def session_at(practitioner, starts_at, *, room=None, minutes=90, **fields) -> Session:
    """A session of its own course (a new patient, named by `first_name`/`last_name`) for
    `practitioner` at `starts_at` (aware), in "Room A" unless a room is given."""
    return SessionFactory(
        course__practitioner=practitioner,
        course__patient__first_name=fields.pop("first_name", "Jane"),
        course__patient__last_name=fields.pop("last_name", "Doe"),
        room=room or RoomFactory(name="Room A"),
        starts_at=starts_at,
        minutes=minutes,
        **fields,
    )
