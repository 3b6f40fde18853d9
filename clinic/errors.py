"""Errors that services raise; the API turns them into 400/404/409 in one shape."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, fields: dict[str, list[str]] | None = None, about: str = ""
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        # The input a refusal without field messages is about (`sessions.2.starts_at`), so a
        # page can show it there; not part of the API's answer.
        self.about = about

    @property
    def details(self) -> list[str]:
        """Every field message, in order (for pages that show the error as one notice)."""
        return [m for messages in self.fields.values() for m in messages]

    def as_text(self, separator: str = " ") -> str:
        """The message and its field messages as one sentence."""
        return separator.join([self.message, *self.details])


class Invalid(ServiceError):
    """The input breaks a rule: a 400 with field messages."""


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """The request is valid but clashes with the current state: a 409 with the reason."""

    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    """The account's role does not allow this action: a 403."""

    status = 403
    code = "permission_denied"
