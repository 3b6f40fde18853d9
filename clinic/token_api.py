"""The API's login and its tokens: `POST /api/auth/token/` issues one (saying when it
expires), `GET /api/auth/tokens/` lists the caller's (a manager: anyone's with `?user=`),
`DELETE /api/auth/tokens/{id}/` revokes one."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import login_limits, tokens, two_factor
from .api import ERRORS, ErrorSerializer, error_body
from .fields import StrictCharField
from .models import ApiToken, User

THROTTLED = {
    429: OpenApiResponse(
        ErrorSerializer, description="Too many failed logins: wait Retry-After seconds"
    )
}


class TokenInputSerializer(AuthTokenSerializer):
    """DRF's, with the username's length checked: an over-long one is a 400, not a row too
    long for django-axes' log of failed logins (a 500)."""

    username = StrictCharField(
        label="Username", write_only=True, max_length=User._meta.get_field("username").max_length
    )
    password = StrictCharField(
        label="Password", write_only=True, trim_whitespace=False, max_length=4096,
        style={"input_type": "password"},
    )  # fmt: skip
    label = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=tokens.LABEL_MAX,
        help_text="What the token is for (shown in the list of tokens); the User-Agent if "
        "left out.",
    )
    otp = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=20,
        write_only=True,
        help_text="The code from the authenticator app (or a recovery code): needed by staff "
        "while the clinic requires two-factor sign-in.",
    )


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The token of this request.")

    class Meta:
        model = ApiToken
        fields = ["id", "user", "label", "created_at", "expires_at", "last_used_at", "current"]

    def get_current(self, token: ApiToken) -> bool:
        return token.pk == getattr(self.context["request"].auth, "pk", None)


class TokenView(APIView):
    """`POST /api/auth/token/` with username and password → a token and when it expires."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = TokenInputSerializer

    @extend_schema(
        request=TokenInputSerializer,
        responses={200: TokenOutputSerializer, 400: OpenApiResponse(ErrorSerializer), **THROTTLED},
        auth=[],
        description="A new token, valid for API_TOKEN_HOURS; a password change or the "
        "account's deactivation ends it sooner.",
    )
    def post(self, request):
        serializer = TokenInputSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            refused = login_limits.refusal(request)
            if refused is not None:
                # Too many failed logins: say how long to wait, rather than "wrong password".
                return Response(
                    error_body(429, refused.message),
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(refused.retry_after)},
                )
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if two_factor.required_for(user):
            problem = _otp_problem(user, serializer.validated_data.get("otp", ""))
            if problem:
                raise exceptions.ValidationError({"otp": [problem]})
        label = serializer.validated_data.get("label") or request.META.get("HTTP_USER_AGENT", "")
        token, key = tokens.token_issue(user=user, label=label)
        return Response(TokenOutputSerializer({**vars(token), "token": key}).data)


def _otp_problem(user: User, code: str) -> str:
    if not two_factor.has_app(user):
        return two_factor.NOT_ENROLLED
    if not code.strip():
        return two_factor.CODE_NEEDED
    if not two_factor.check_code(request=None, user=user, code=code):
        return two_factor.CODE_WRONG
    return ""


class TokenListView(GenericAPIView):
    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "user", int, description="A member of staff's id (managers only): their tokens."
            )
        ],
        responses={200: ApiTokenSerializer(many=True), **ERRORS},
        description="Your live tokens, newest first; a manager's `?user=` lists another's.",
    )
    def get(self, request):
        owner = request.user
        raw = request.query_params.getlist("user")
        if raw:
            if len(raw) > 1 or not raw[0].isdigit() or len(raw[0]) > 18:
                raise exceptions.ValidationError({"user": ["Give one account id (a number)."]})
            if int(raw[0]) != owner.pk:
                if not tokens.is_manager(owner):
                    raise exceptions.PermissionDenied(
                        "Only a manager can see another account's tokens."
                    )
                owner = get_object_or_404(User, pk=int(raw[0]), is_patient=False)
        page = self.paginate_queryset(tokens.tokens_of(owner))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class TokenDetailView(APIView):
    @extend_schema(
        request=None,
        responses={204: None, **ERRORS},
        description="Revoke a token: your own, or (a manager) any member of staff's.",
    )
    def delete(self, request, id: int):
        tokens.token_revoke(token_id=id, by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
