import factory
from django.contrib.auth.models import Group

from clinic.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A staff account; pass `role="front_desk"` (or practitioner/manager) to join its group."""

    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests flush the groups the migration made
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


class PatientUserFactory(UserFactory):
    """A patient's portal account: no staff rights."""

    username = factory.Sequence(lambda n: f"patient{n}")
    is_patient = True
