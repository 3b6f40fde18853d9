"""POST /api/sessions/{id}/check-in/ with the answers confirmed on the day (issue 10 item 6)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator

from patients.vocabulary import ON_THE_DAY_KEYS
from patients.vocabulary.on_the_day import UNTICKED
from treatments.scheduling.models import CheckInConfirmation, Session

from .check_in_helpers import api_body, pre_session_answers

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)
PATH = "/api/sessions/{id}/check-in/"


@pytest.fixture
def session(clinic, front_desk_user, practitioner_user, acne_protocol):
    [session] = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    pre_session_answers(session, by=front_desk_user, at=START - dt.timedelta(days=3))
    return session


@pytest.fixture(autouse=True)
def on_the_day():
    with time_machine.travel(START - dt.timedelta(minutes=10), tick=False):
        yield


def post(client, session, body=None):
    url = PATH.format(id=session.public_id)
    if body is None:
        return client.post(url)
    return client.post(url, body, format="json")


def status_of(session) -> str:
    return Session.objects.get(pk=session.pk).status


def test_a_request_without_a_body_is_told_every_answer_to_confirm(session, front_desk_client):
    response = post(front_desk_client, session)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Confirm each answer with the patient."
    assert error["fields"] == {key: [UNTICKED] for key in ON_THE_DAY_KEYS}
    assert status_of(session) == Session.Status.BOOKED


def test_every_answer_confirmed_checks_in(session, front_desk_client):
    response = post(front_desk_client, session, api_body())
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "checked_in"
    assert CheckInConfirmation.objects.get().confirmed_keys == list(ON_THE_DAY_KEYS)


def test_one_answer_missing_is_a_400_on_that_key(session, front_desk_client):
    body = api_body()
    body["confirmed"].remove("sunburn_or_tan_last_14_days")
    response = post(front_desk_client, session, body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"sunburn_or_tan_last_14_days": [UNTICKED]}


def test_unknown_keys_are_a_400_wherever_they_are(session, front_desk_client):
    body = api_body()
    body["confirmed"].append("mood")
    body["changed"] = {"horoscope": "leo"}
    fields = post(front_desk_client, session, body).json()["error"]["fields"]
    assert fields == {
        "confirmed": ["'mood': Unknown question."],
        "changed.horoscope": ["Unknown question."],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"confirmed": "everything"},
        {"confirmed": [True]},
        {"changed": ["pregnant_or_breastfeeding"]},
        {"screening": "yesterday"},
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400(session, front_desk_client, body):
    response = post(front_desk_client, session, {**api_body(), **body})
    assert response.status_code == 400
    [field] = response.json()["error"]["fields"]
    assert field.split(".")[0] in body


def test_a_blocking_change_is_a_409_in_plain_words_and_the_screening_is_listed_first(
    session, front_desk_client
):
    response = post(front_desk_client, session, api_body(pregnant_or_breastfeeding=True))
    assert response.status_code == 409
    assert "Pregnant or breastfeeding" in response.json()["error"]["message"]
    assert status_of(session) == Session.Status.BOOKED
    screenings = front_desk_client.get(f"/api/patients/{session.patient.public_id}/screenings/")
    results = screenings.json()
    results = results.get("results", results) if isinstance(results, dict) else results
    assert results[0]["outcome"] == "blocked"


def test_a_harmless_change_checks_in_against_the_new_screening(session, front_desk_client):
    response = post(front_desk_client, session, api_body(recent_injectables_in_area_days=90))
    assert response.status_code == 200, response.json()
    confirmation = CheckInConfirmation.objects.get()
    assert confirmation.changed_keys == ["recent_injectables_in_area_days"]
    assert Session.objects.get(pk=session.pk).screening != confirmation.earlier


def test_a_new_answer_that_does_not_fit_is_a_400_on_changed(session, front_desk_client):
    response = post(front_desk_client, session, api_body(active_cold_sore="yes"))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "changed.active_cold_sore": ["Answer true or false."]
    }


def test_answers_read_back_from_an_older_screening_are_a_409(
    session, front_desk_client, front_desk_user
):
    body = {**api_body(), "screening": str(session.patient.screenings.first().public_id)}
    pre_session_answers(session, by=front_desk_user, at=START - dt.timedelta(hours=1))
    response = post(front_desk_client, session, body)
    assert response.status_code == 409
    assert status_of(session) == Session.Status.BOOKED


def test_to_a_patients_account_the_check_in_does_not_exist(session, patient_client):
    assert post(patient_client, session, api_body()).status_code == 404
    assert status_of(session) == Session.Status.BOOKED


def test_the_schema_documents_the_confirmation_body():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/sessions/{public_id}/check-in/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body["properties"]) == {"confirmed", "changed", "screening"}
    assert "400 naming each key" in operation["description"]
