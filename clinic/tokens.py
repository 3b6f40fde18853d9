"""API tokens with a life (issue 12 item 3): issued by `POST /api/auth/token/`, valid for
API_TOKEN_HOURS, listed and revoked by their owner or a manager, and dead once the
account's password changes or the account is deactivated.

A token is bound to a fingerprint of the account's password hash and `session_epoch`, the
same two things a logged-in session is bound to: a new password by any path (the set-password
link, a change form, `manage.py changepassword`, admin's `set_password`, even an UPDATE) or
a deactivation (which raises the epoch) fails every older token's check on its next use. The
rows themselves are deleted too when Django saves a new password or an inactive account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from . import audit
from .errors import NotFound
from .models import ApiToken, Role, User
from .roles import remember_roles

LABEL_MAX = ApiToken._meta.get_field("label").max_length
# last_used_at is written at most this often per token: a busy script does not write a row
# on every request.
LAST_USED_EVERY = timedelta(minutes=1)
INVALID = "Invalid or expired token: ask for a new one at /api/auth/token/."


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(user: User) -> str:
    """What the account's tokens are bound to: its password hash and session epoch."""
    return salted_hmac(
        "clinic.tokens.fingerprint", f"{user.password}:{user.session_epoch}", algorithm="sha256"
    ).hexdigest()


def is_live(token: ApiToken, user: User, now=None) -> bool:
    return (
        token.expires_at > (now or timezone.now())
        and user.is_active
        and constant_time_compare(token.fingerprint, fingerprint(user))
    )


def token_issue(*, user: User, label: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`, valid API_TOKEN_HOURS from now: the row and its key (the
    only time the key exists outside the client)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        key_hash=_hash(key),
        fingerprint=fingerprint(user),
        label=(label or "").strip()[:LABEL_MAX],
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    return token, key


def is_manager(user: User) -> bool:
    return bool(user.is_active and not user.is_patient and user.has_role(Role.MANAGER))


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """`user`'s live tokens, newest first (expired rows are not shown)."""
    return ApiToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), fingerprint=fingerprint(user)
    )


@transaction.atomic
def token_revoke(*, token_id: int, by: User, request: HttpRequest | None = None) -> None:
    """Delete a token: its owner's own, or any member of staff's for a manager. Anyone
    else's is a 404, as if it did not exist."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or (token.user_id != by.pk and not is_manager(by)):
        raise NotFound("No such token.")
    token.delete()
    audit.record(
        actor=by,
        action=audit.Action.UPDATE,
        object_type="clinic.user",
        object_id=token.user_id,
        request=request,
        detail={"api_token_revoked": token_id},
    )


def delete_tokens(*, user: User) -> int:
    """Delete every token of `user` (deactivation, a new password)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def on_user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs):
    """`post_save` of User: a new password (Django keeps the raw one in `_password` until
    the save ends) or an inactive account deletes the account's tokens."""
    if created:
        return
    new_password = getattr(instance, "_password", None) is not None
    if new_password or (
        not instance.is_active and (update_fields is None or "is_active" in update_fields)
    ):
        delete_tokens(user=instance)


def _group_joins(quote) -> str:
    """LEFT JOINs from an account `u` to the names of its groups, `g`."""
    through = User.groups.through._meta
    return (
        f" LEFT JOIN {quote(through.db_table)} ug ON ug.{quote('user_id')} = u.{quote('id')}"
        f" LEFT JOIN {quote(Group._meta.db_table)} g ON g.{quote('id')} = ug.{quote('group_id')}"
    )


@cache
def _lookup_statement(alias: str):
    """The SQL that reads a token, its account and the account's group names, compiled once
    per database (every API request runs it: building it with the ORM each time cost more
    than running it), with the converters the ORM would apply to each column."""
    connection = connections[alias]
    compiler = ApiToken.objects.using(alias).none().query.get_compiler(alias)
    token_cols = [f.get_col("t") for f in ApiToken._meta.concrete_fields]
    user_cols = [f.get_col("u") for f in User._meta.concrete_fields]
    quote = connection.ops.quote_name
    columns = ", ".join(compiler.compile(col)[0] for col in [*token_cols, *user_cols])
    # Only names from the models' own _meta go into the text; the key is a parameter.
    sql = (
        f"SELECT {columns}, g.{quote('name')}"  # noqa: S608
        f" FROM {quote(ApiToken._meta.db_table)} t"
        f" INNER JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')}"
        f"{_group_joins(quote)}"
        f" WHERE t.{quote('key_hash')} = %s"
    )
    return sql, compiler, compiler.get_converters([*token_cols, *user_cols]), len(token_cols)


@cache
def _account_statement(alias: str):
    """The SQL that reads an account by id with its group names (a logged-in page's
    `request.user`: clinic.backends), compiled once per database like the token's."""
    connection = connections[alias]
    compiler = User.objects.using(alias).none().query.get_compiler(alias)
    user_cols = [f.get_col("u") for f in User._meta.concrete_fields]
    quote = connection.ops.quote_name
    columns = ", ".join(compiler.compile(col)[0] for col in user_cols)
    sql = (
        f"SELECT {columns}, g.{quote('name')}"  # noqa: S608
        f" FROM {quote(User._meta.db_table)} u{_group_joins(quote)}"
        f" WHERE u.{quote('id')} = %s"
    )
    return sql, compiler, compiler.get_converters(user_cols)


def _rows(alias: str, sql: str, compiler, converters, params) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return list(compiler.apply_converters(cursor.fetchall(), converters))


def token_with_account(key: str) -> ApiToken | None:
    """The live-or-not token whose key is `key`, with its account on `token.user` and the
    account's roles already known to it (`User.roles()` asks nothing): one query."""
    alias = router.db_for_read(ApiToken)
    sql, compiler, converters, split = _lookup_statement(alias)
    rows = _rows(alias, sql, compiler, converters, [_hash(key)])
    if not rows:
        return None
    first = rows[0]
    token = ApiToken.from_db(alias, None, first[:split])
    user = User.from_db(alias, None, first[split:-1])
    token.user = remember_roles(user, (row[-1] for row in rows))
    return token


def account_with_roles(pk: int) -> User | None:
    """The account `pk` with its roles already known to it (`User.roles()` asks nothing):
    one query, where the ORM takes two."""
    alias = router.db_for_read(User)
    sql, compiler, converters = _account_statement(alias)
    rows = _rows(alias, sql, compiler, converters, [pk])
    if not rows:
        return None
    return remember_roles(User.from_db(alias, None, rows[0][:-1]), (row[-1] for row in rows))


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, checked against the stored hash, the expiry, the
    account's state and its fingerprint; the last use is noted.

    The token, its account and the account's roles are one query (`token_with_account`);
    noting the use is a second at most once a minute (`LAST_USED_EVERY`)."""

    def authenticate_credentials(self, key):
        token = token_with_account(key)
        now = timezone.now()
        if token is None or not is_live(token, token.user, now):
            raise exceptions.AuthenticationFailed(INVALID)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
