"""The staff-accounts API (issue 11; DESIGN.md §7), managers only: `GET, POST /api/staff/`
(POST invites), `GET, PATCH /api/staff/{id}/` (roles, or `is_active`), and
`POST /api/staff/{id}/deactivate/`, `reactivate/`, `invitation/` (a new invitation). Other
roles get a 403, a patient's account a 404; a patient's account is never a staff id (404).
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api import CONFLICT, ERRORS
from clinic.fields import StrictBooleanField, StrictCharField
from clinic.models import Role, User
from clinic.roles import HasRole

from . import selectors, services
from .selectors import Status

ROLES_SCHEMA = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))


class StaffSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField(help_text="The account's roles.")
    status = serializers.SerializerMethodField(
        help_text="`active` (a password is set), `invited` (the link is on its way or works "
        "now), `needs_invitation` (the link expired: send a new one), `deactivated`."
    )
    invitation_expires_at = serializers.SerializerMethodField(
        help_text="Until when the invitation's link works, once sent; null otherwise."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "roles",
            "is_active",
            "status",
            "invitation_expires_at",
            "last_login",
            "date_joined",
        ]
        read_only_fields = fields

    @extend_schema_field(ROLES_SCHEMA)
    def get_roles(self, user: User) -> list[str]:
        return selectors.role_list(user)

    @extend_schema_field({"type": "string", "enum": Status.values})
    def get_status(self, user: User) -> str:
        return str(self._status(user).code)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_invitation_expires_at(self, user: User):
        invite = self._status(user).invite
        if invite is None or invite.sent_at is None:
            return None
        return serializers.DateTimeField().to_representation(invite.expires_at)

    def _status(self, user: User) -> selectors.AccountStatus:
        cache = self.context.setdefault("statuses", {})
        if user.pk not in cache:
            cache[user.pk] = selectors.account_status(user, self.context.get("now"))
        return cache[user.pk]


class RolesField(serializers.ListField):
    child = serializers.ChoiceField(choices=Role.choices)

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("max_length", len(Role.values))
        kwargs.setdefault("error_messages", {"empty": services.NO_ROLE})
        super().__init__(**kwargs)


class StaffInviteInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=services.EMAIL_MAX)
    first_name = StrictCharField(max_length=services.NAME_MAX)
    last_name = StrictCharField(max_length=services.NAME_MAX)
    roles = RolesField(help_text="One or more of front_desk, practitioner, manager.")

    def validate_email(self, value: str) -> str:
        value = User.objects.normalize_email(value)
        if selectors.email_in_use(value):
            raise serializers.ValidationError(services.EMAIL_TAKEN)
        return value


class StaffPatchInputSerializer(serializers.Serializer):
    roles = RolesField(required=False, help_text="The account's roles from now on.")
    is_active = StrictBooleanField(
        required=False, help_text="false deactivates the account, true reactivates it."
    )


def _staff(id: int) -> User:
    return get_object_or_404(selectors.staff_accounts(), pk=id)


def _out(user: User) -> dict:
    """The account as it is now, read again with its roles and invitations."""
    return StaffSerializer(_staff(user.pk), context={"now": timezone.now()}).data


class ManagerOnly:
    permission_classes = [HasRole(Role.MANAGER)]


class StaffListView(ManagerOnly, GenericAPIView):
    serializer_class = StaffSerializer
    queryset = User.objects.none()

    @extend_schema(responses={200: StaffSerializer(many=True), **ERRORS})
    def get(self, request):
        page = self.paginate_queryset(selectors.staff_accounts())
        data = StaffSerializer(page, many=True, context={"now": timezone.now()}).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=StaffInviteInputSerializer,
        responses={201: StaffSerializer, **ERRORS, **CONFLICT},
        description="Invite a member of staff: the account is made with these roles and no "
        "password, and a one-time link to set one is e-mailed through the outbox.",
    )
    def post(self, request):
        data = StaffInviteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.staff_invite(**data.validated_data, by=request.user, request=request)
        return Response(_out(invite.user), status=status.HTTP_201_CREATED)


class StaffDetailView(ManagerOnly, APIView):
    @extend_schema(responses={200: StaffSerializer, **ERRORS})
    def get(self, request, id: int):
        return Response(_out(_staff(id)))

    @extend_schema(
        request=StaffPatchInputSerializer,
        responses={200: StaffSerializer, **ERRORS, **CONFLICT},
        description="Change the roles, and/or deactivate (`is_active: false`) or reactivate "
        "the account; all or nothing.",
    )
    def patch(self, request, id: int):
        user = _staff(id)
        data = StaffPatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data
        with transaction.atomic():
            if "roles" in wanted:
                services.staff_set_roles(
                    user=user, roles=wanted["roles"], by=request.user, request=request
                )
            if wanted.get("is_active") is False:
                services.staff_deactivate(user=user, by=request.user, request=request)
            elif wanted.get("is_active") is True:
                services.staff_reactivate(user=user, by=request.user, request=request)
        return Response(_out(user))


class _StaffAction(ManagerOnly, APIView):
    service = staticmethod(services.staff_deactivate)

    @extend_schema(request=None, responses={200: StaffSerializer, **ERRORS, **CONFLICT})
    def post(self, request, id: int):
        user = _staff(id)
        self.service(user=user, by=request.user, request=request)
        return Response(_out(user))


class StaffDeactivateView(_StaffAction):
    """Deactivate: the account's sessions and API tokens stop working at once."""

    service = staticmethod(services.staff_deactivate)


class StaffReactivateView(_StaffAction):
    """Reactivate a deactivated account (its old sessions and tokens stay dead)."""

    service = staticmethod(services.staff_reactivate)


class StaffReinviteView(_StaffAction):
    """Send a new invitation to an account that has not set a password yet."""

    service = staticmethod(services.staff_reinvite)


class StaffResetLoginView(_StaffAction):
    """A forgotten password or a lost authenticator: the password and second factor are
    cleared, sessions and tokens end, and a new invitation goes out (not one's own account)."""

    service = staticmethod(services.staff_reset_login)
