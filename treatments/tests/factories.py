import datetime as dt

import factory

from clinic.models import Role
from clinic.tests.factories import UserFactory
from treatments.protocols import seed_protocols
from treatments.models import Device, Practitioner, Protocol, Room, WorkingHours


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
