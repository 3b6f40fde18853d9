"""Accounts, staff invitations and the audit log."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    """Staff roles; each is a Django group created by a data migration."""

    FRONT_DESK = "front_desk", "Front desk"
    PRACTITIONER = "practitioner", "Practitioner"
    MANAGER = "manager", "Manager"


STAFF_ROLES = frozenset(Role.values)


class User(AbstractUser):
    """Every account: staff (in one or more role groups) or a patient's portal account.

    A patient account has no staff rights at all: it is never in a role group, never
    `is_staff`, and staff pages and endpoints refuse it.
    """

    is_patient = models.BooleanField(
        default=False, help_text="A patient's portal account; never has staff rights."
    )
    session_epoch = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised to end every logged-in session of the account at once "
        "(deactivation); part of each session's check.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_patient=True, is_staff=True)
                & ~models.Q(is_patient=True, is_superuser=True),
                name="patient_account_has_no_staff_rights",
            )
        ]

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's session check (a hash of the password hash, checked on every request,
        also under SECRET_KEY_FALLBACKS) with `session_epoch` mixed in: raising the epoch
        ends every session of the account, whatever the session store, as a password change
        does. At epoch 0 it is Django's own hash, so existing sessions survive a deploy."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "clinic.models.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def roles(self) -> frozenset[str]:
        """The role groups this account belongs to (cached per instance)."""
        if not hasattr(self, "_roles"):
            if self.is_patient:
                self._roles = frozenset()
            else:
                names = {g.name for g in self.groups.all()}
                self._roles = frozenset(names & STAFF_ROLES)
        return self._roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles() & set(roles))

    @property
    def is_clinic_staff(self) -> bool:
        return bool(self.roles())

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class StaffInvite(models.Model):
    """A one-time link for a member of staff to set their password (a manager's invitation).

    Written with no token: the worker mints one when it sends the invitation's outbox
    message, and a retry mints another, so only the link that went out last works. Only the
    SHA-256 of the token is stored; the link carries the token and nothing else. It works
    once, for STAFF_INVITE_HOURS from its sending; a newer invitation or deactivating the
    account revokes it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="staff_invites")
    token_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        editable=False,
        help_text="Empty until the invitation is sent.",
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="staff_invite_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="staff_invite_used_or_revoked_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"Staff invitation {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        """Not used, not revoked: the link may still work (until it expires)."""
        return self.used_at is None and self.revoked_at is None


class AuditEventQuerySet(models.QuerySet):
    def about(self, patient_id) -> "AuditEventQuerySet":
        """The rows about one patient: their own reads and writes, and the list reads that
        showed them among others (`patient_ids`)."""
        if connections[self.db].vendor == "postgresql":  # jsonb @>, on the GIN index
            shown = Q(patient_ids__contains=[str(patient_id)])
        else:  # SQLite has no JSON containment; a UUID's text is found only where it is
            shown = Q(patient_ids__icontains=str(patient_id))
        return self.filter(Q(patient_id=patient_id) | shown)

    def update(self, **kwargs):  # noqa: ARG002
        raise ValidationError("The audit log is append-only.")

    def delete(self):
        raise ValidationError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One staff read or write of patient data: who, what, which record, when, from where.

    Append-only: rows are never updated or deleted (the model and its queryset refuse it).
    It names the patient by public id rather than a foreign key, so `clinic` does not depend
    on `patients` and the trail survives anything that happens to the record.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        ARCHIVE = "archive", "Archived"
        RESTORE = "restore", "Restored"
        SIGN_OFF = "sign_off", "Signed off"
        TRANSITION = "transition", "Changed status"
        EXPORT = "export", "Exported"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "clinic.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (actor, at) below serves it
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)  # indexed with `at` below
    # A list read is one row for the whole page (clinic.audit.record_many): the ids of the
    # records it showed, and of their patients. `patient_id` is set as well when they all
    # belong to one patient.
    # JSON lists of strings (the embedded default is SQLite); on PostgreSQL `patient_ids` has
    # a GIN index (migration 0008) for "who has seen this patient?".
    object_ids = models.JSONField(default=list, blank=True)
    patient_ids = models.JSONField(default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The audit log page: one patient's or one member of staff's rows, newest first.
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The audit log is append-only.")


class LoginFailures(models.Model):
    """Failed logins to one username (typed, whether or not an account has it) from any
    address: after LOGIN_ACCOUNT_FAILURE_LIMIT of them, each next try from an address the
    account has not logged in from waits a growing delay (`clinic.login_limits`). Counted
    for unknown usernames too, so the delay tells nobody which accounts exist."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(db_index=True)
    delayed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.failures} failed logins"


class KnownLoginAddress(models.Model):
    """An address this account logged in from successfully: the account's growing delay
    after failed logins does not apply there, so a stranger cannot lock its owner out."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    ip_address = models.GenericIPAddressField()
    last_login_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ip_address"], name="known_login_address_once")
        ]

    def __str__(self) -> str:
        return f"Known address {self.last_login_at:%Y-%m-%d}"


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`): it works until `expires_at`
    (API_TOKEN_HOURS after it is issued), until its owner or a manager revokes it, and only
    while the account's password and `session_epoch` are those it was issued under
    (`fingerprint`), so a password change or a deactivation ends it whatever the path.
    Only the SHA-256 of the key is stored; the key is shown once, when it is issued."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    fingerprint = models.CharField(max_length=64, editable=False)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="api_token_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"API token {self.created_at:%Y-%m-%d %H:%M}"
