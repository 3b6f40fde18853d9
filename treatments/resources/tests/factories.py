import datetime as dt

import factory

from treatments.scheduling.models import DeviceOutage, TimeOff
from treatments.scheduling.tests.factories import DeviceFactory, PractitionerFactory


class TimeOffFactory(factory.django.DjangoModelFactory):
    """Time off made directly (tests of reads; changes go through the services)."""

    class Meta:
        model = TimeOff

    practitioner = factory.SubFactory(PractitionerFactory)
    starts_at = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    ends_at = factory.LazyAttribute(lambda t: t.starts_at + dt.timedelta(days=2))
    reason = "Holiday"


class OutageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceOutage

    device = factory.SubFactory(DeviceFactory)
    starts_at = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=1))
    reason = "Service"
