import datetime as dt
import uuid

import factory

from patients.models import Hold, Patient


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=dt.date(1950, 1, 1), end_date=dt.date(2000, 1, 1)
    )
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    phone = factory.Sequence(lambda n: f"+447400{n % 1000000:06d}")
    email_consent = True
    sms_consent = True


class HoldFactory(factory.django.DjangoModelFactory):
    """An open hold, as if a reaction report had placed it (tests of reads; writes go through
    `services.hold_place`)."""

    class Meta:
        model = Hold

    patient = factory.SubFactory(PatientFactory)
    reason = "The patient reported a reaction after the session on 3 March 2027."
    source = Hold.Source.REACTION
    source_ref = factory.LazyFunction(lambda: str(uuid.uuid4()))
