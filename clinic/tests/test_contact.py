"""One answer for how to reach the clinic and whom to call in an emergency."""

from clinic import contact


def test_the_emergency_number_follows_the_clinics_region():
    assert contact.emergency_number("GB") == "999"
    assert contact.emergency_number("us") == "911"
    assert contact.emergency_number("FR") == "112"


def test_a_region_with_no_number_of_its_own_gets_112(settings):
    settings.CLINIC_PHONE_REGION = "DE"
    assert contact.emergency_number() == "112"
    assert contact.contact_context()["emergency_number"] == "112"
