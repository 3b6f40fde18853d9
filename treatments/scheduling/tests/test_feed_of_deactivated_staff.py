"""A practitioner's calendar feed is a credential: it dies with their staff account."""

import pytest

from clinic.staff import services
from treatments.scheduling.tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


def test_a_deactivated_practitioners_feed_is_gone_at_once(
    anon_client, practitioner_user, manager_user
):
    practitioner = PractitionerFactory(user=practitioner_user)
    url = f"/calendar/{practitioner.calendar_token}.ics"
    assert anon_client.get(url).status_code == 200
    services.staff_deactivate(user=practitioner_user, by=manager_user)
    assert anon_client.get(url).status_code == 404
