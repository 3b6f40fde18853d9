"""API tokens with a life: they expire, their owner and managers list and revoke them, and
a password change or a deactivation ends them (issue 12 item 3)."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from clinic.models import ApiToken, AuditEvent, Role, User
from clinic.staff import services as staff_services
from clinic.tests.factories import PASSWORD, UserFactory
from clinic.tokens import token_issue

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SCHEMA = "/api/schema/?format=json"


def api(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


def works(key: str) -> bool:
    response = api(key).get("/api/auth/tokens/")
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


def get_token(username="fd", password=PASSWORD, **extra):
    return Client().post(
        "/api/auth/token/",
        {"username": username, "password": password, **extra},
        content_type="application/json",
        headers={"User-Agent": "report-script/1.0"},
    )


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_token_endpoint_says_when_the_token_expires(front_desk_user, clock, settings):
    assert settings.API_TOKEN_HOURS == 12
    response = get_token()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "id", "expires_at"}
    assert dt.datetime.fromisoformat(body["expires_at"]) == START + dt.timedelta(hours=12)
    assert works(body["token"])


@pytest.mark.parametrize("field", ["username", "password", "label", "otp"])
def test_a_value_of_the_wrong_type_is_a_400_naming_it_and_issues_nothing(front_desk_user, field):
    response = get_token(**{field: 12345})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field] == ["Must be text."]
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_it_expires(front_desk_user, clock):
    key = get_token().json()["token"]
    clock.shift(dt.timedelta(hours=11, minutes=59))
    assert works(key)
    clock.shift(dt.timedelta(minutes=1))
    response = api(key).get(SCHEMA)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_only_the_keys_hash_is_stored(front_desk_user):
    key = get_token().json()["token"]
    stored = ApiToken.objects.get()
    assert key not in {stored.key_hash, stored.fingerprint, stored.label}
    assert stored.label == "report-script/1.0"


def test_a_password_change_ends_the_accounts_tokens(front_desk_user):
    _, key = token_issue(user=front_desk_user)
    front_desk_user.set_password("a-brand-new-passphrase")
    front_desk_user.save()
    assert not works(key)
    assert not ApiToken.objects.filter(user=front_desk_user).exists()


def test_a_password_written_without_save_still_ends_the_tokens(front_desk_user):
    """Any path, even one that skips the model's save (a raw UPDATE): the fingerprint."""
    _, key = token_issue(user=front_desk_user)
    other = User(username="x")
    other.set_password("a-brand-new-passphrase")
    User.objects.filter(pk=front_desk_user.pk).update(password=other.password)
    assert not works(key)


def test_deactivation_ends_the_tokens_and_reactivation_does_not_revive_them(
    front_desk_user, manager_user
):
    _, key = token_issue(user=front_desk_user)
    staff_services.staff_deactivate(user=front_desk_user, by=manager_user)
    assert not works(key)
    event = AuditEvent.objects.filter(object_id=str(front_desk_user.pk)).latest("id")
    assert event.detail["tokens_deleted"] == 1
    staff_services.staff_reactivate(user=front_desk_user, by=manager_user)
    assert not works(key)


def test_an_account_made_inactive_anywhere_loses_its_tokens(front_desk_user):
    _, key = token_issue(user=front_desk_user)
    front_desk_user.is_active = False
    front_desk_user.save()
    assert not ApiToken.objects.exists()
    front_desk_user.is_active = True
    front_desk_user.save()
    assert not works(key)


def test_the_owner_lists_their_live_tokens_newest_first(front_desk_user, practitioner_user, clock):
    old, _ = token_issue(user=front_desk_user, label="laptop")
    clock.shift(dt.timedelta(hours=13))
    token_issue(user=practitioner_user)  # someone else's
    token_issue(user=front_desk_user, label="phone")
    clock.shift(dt.timedelta(minutes=5))
    mine, key = token_issue(user=front_desk_user, label="script")
    response = api(key).get("/api/auth/tokens/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["label"] for row in rows] == ["script", "phone"]  # "laptop" expired
    assert rows[0]["current"] is True and rows[1]["current"] is False
    assert rows[0]["last_used_at"] == rows[0]["created_at"]
    assert set(rows[0]) == {
        "id", "user", "label", "created_at", "expires_at", "last_used_at", "current",
    }  # fmt: skip
    assert rows[0]["id"] == mine.pk and old.pk not in {row["id"] for row in rows}


def test_a_manager_lists_and_revokes_another_members_tokens(
    front_desk_user, manager_user, manager_client
):
    token, key = token_issue(user=front_desk_user)
    response = manager_client.get(f"/api/auth/tokens/?user={front_desk_user.pk}")
    assert [row["id"] for row in response.json()["results"]] == [token.pk]
    response = manager_client.delete(f"/api/auth/tokens/{token.pk}/")
    assert response.status_code == 204
    assert not works(key)
    event = AuditEvent.objects.filter(actor=manager_user).latest("id")
    assert event.detail == {"api_token_revoked": token.pk}
    assert event.object_id == str(front_desk_user.pk)


def test_staff_cannot_see_or_revoke_anyone_elses_tokens(
    front_desk_user, practitioner_user, front_desk_client
):
    theirs, key = token_issue(user=practitioner_user)
    response = front_desk_client.get(f"/api/auth/tokens/?user={practitioner_user.pk}")
    assert response.status_code == 403
    assert front_desk_client.delete(f"/api/auth/tokens/{theirs.pk}/").status_code == 404
    assert works(key)
    own = front_desk_client.get(f"/api/auth/tokens/?user={front_desk_user.pk}")
    assert own.status_code == 200


@pytest.mark.parametrize("value", ["abc", "-1", "1&user=2", "9" * 40])
def test_a_malformed_user_filter_is_a_400(manager_client, value):
    response = manager_client.get(f"/api/auth/tokens/?user={value}")
    assert response.status_code == 400
    assert "user" in response.json()["error"]["fields"]


def test_a_manager_asking_for_an_unknown_account_gets_a_404(manager_client):
    assert manager_client.get("/api/auth/tokens/?user=987654").status_code == 404
    assert manager_client.delete("/api/auth/tokens/987654/").status_code == 404


def test_the_owner_revokes_their_own_token(front_desk_user):
    token, key = token_issue(user=front_desk_user)
    assert api(key).delete(f"/api/auth/tokens/{token.pk}/").status_code == 204
    assert not works(key)


def test_the_token_list_costs_the_same_queries_for_one_token_or_many(
    manager_user, django_assert_max_num_queries
):
    _, key = token_issue(user=manager_user)
    client = api(key)
    client.get("/api/auth/tokens/")  # last use written
    # token + user, groups (role), count, page
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/auth/tokens/").json()["results"]) == 1
    for _ in range(30):
        token_issue(user=manager_user)
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/auth/tokens/").json()["results"]) == 31


def test_a_staff_member_gets_and_uses_a_token_end_to_end(db):
    UserFactory(username="sam", role=Role.PRACTITIONER)
    key = get_token("sam").json()["token"]
    assert api(key).get(SCHEMA).status_code == 200
