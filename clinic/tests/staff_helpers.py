"""Staff accounts for the staff-account tests: managers, an invitee, and the one-time link
as the worker would mint it (the e-mail itself is treatments.messaging's, tested there)."""

from __future__ import annotations

from django.test import Client

from clinic.models import Role, StaffInvite, User
from clinic.staff import links, services

from .factories import PASSWORD as FACTORY_PASSWORD
from .factories import UserFactory

PASSWORD = "a-long-new-passphrase"


def manager(username: str = "boss2", **fields) -> User:
    return UserFactory(username=username, role=Role.MANAGER, is_staff=True, **fields)


def invite(by: User, **fields) -> StaffInvite:
    data = {
        "email": "Sam.Jones@Example.com",
        "first_name": "Sam",
        "last_name": "Jones",
        "roles": [Role.FRONT_DESK],
        **fields,
    }
    return services.staff_invite(by=by, **data)


def minted(invite: StaffInvite) -> str:
    """The invitation as sent: its token (what the e-mail's link carries)."""
    token = links.invite_mint(str(invite.public_id))
    assert token is not None
    return token


def logged_in(username: str, password: str = FACTORY_PASSWORD) -> Client | None:
    """A browser that logged in through the real login form (django-axes needs the
    request), or None when the login was refused."""
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return client if response.status_code == 302 else None
