import pytest

from clinic.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "fields"}
    assert body["error"]["status"] == status
    return body["error"]


def test_a_token_is_issued_for_a_correct_password(anon_client, front_desk_user):
    response = anon_client.post(
        "/api/auth/token/", {"username": "fd", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anon_client.get("/api/schema/").status_code == 200


def test_a_wrong_password_gets_a_400_in_the_error_shape(anon_client, front_desk_user):
    response = anon_client.post(
        "/api/auth/token/", {"username": "fd", "password": "wrong"}, format="json"
    )
    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "body",
    ['{"username": ', "[]", '{"username": 5}', "{}", '"text"'],
    ids=["broken-json", "a-list", "a-number", "empty", "a-string"],
)
def test_a_malformed_token_request_gets_a_400(anon_client, body):
    response = anon_client.post("/api/auth/token/", body, content_type="application/json")
    assert_error_shape(response, 400)


def test_an_unknown_url_under_api_gets_a_404_in_the_error_shape(front_desk_client):
    error = assert_error_shape(front_desk_client.get("/api/no-such-thing/"), 404)
    assert error["code"] == "not_found"


def test_a_wrong_method_gets_a_405_in_the_error_shape(anon_client):
    assert_error_shape(anon_client.get("/api/auth/token/"), 405)


def test_an_anonymous_request_gets_a_401(anon_client):
    # a protected endpoint: the schema itself requires a login
    error = assert_error_shape(anon_client.get("/api/schema/?format=json"), 401)
    assert error["code"] == "not_authenticated"


def test_the_schema_and_docs_are_served(front_desk_client):
    schema = front_desk_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/auth/token/" in schema.json()["paths"]
    assert front_desk_client.get("/api/docs/").status_code == 200


def test_the_openapi_schema_generates_without_warnings():
    """A warning (e.g. an enum name collision) would also fail `check --deploy`."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_a_paused_address_gets_a_429_even_with_the_right_password(
    anon_client, front_desk_user, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anon_client.post("/api/auth/token/", {"username": "fd", "password": "x"}, format="json")
    response = anon_client.post(
        "/api/auth/token/", {"username": "fd", "password": PASSWORD}, format="json"
    )
    error = assert_error_shape(response, 429)
    assert "Too many failed logins" in error["message"]
    assert response["Retry-After"]
