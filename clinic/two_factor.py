"""Two factors for staff (issue 12 item 7): with REQUIRE_STAFF_2FA on, a member of staff
signs in with their password and then a time-based code from an authenticator app (or one
of their recovery codes), through django-otp. Until then every staff page answers with the
second step (enrolment if they have no app yet) and the API refuses the session; the token
endpoint asks for the code too. Patients' portal accounts never have a second step.
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .api import FHIR_PREFIX, error_response
from .models import User

RECOVERY_CODES = 10
APP_NAME = "Authenticator app"
CODE_NEEDED = "Enter the 6-digit code from your authenticator app (or one of your recovery codes)."
CODE_WRONG = (
    "That code did not match. Enter the code your authenticator app shows now (they change "
    "every 30 seconds), or one of your recovery codes."
)
NOT_ENROLLED = (
    "Two-factor sign-in is required and this account has no authenticator app yet: log in "
    "on the web once to set it up."
)
API_SESSION = "Two-factor sign-in needed: enter your code on the web page first."


def required_for(user: User) -> bool:
    """Whether this account signs in with two factors: staff (any account that is not a
    patient's) while the clinic requires it."""
    return bool(settings.REQUIRE_STAFF_2FA and user.is_authenticated and not user.is_patient)


def has_app(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def check_code(*, request: HttpRequest | None, user: User, code: str) -> bool:
    """Whether `code` is a current code of one of the account's devices (its app, or a
    recovery code, used up by this); on a page, the session is verified from now on.
    django-otp slows down repeated wrong codes per device."""
    code = "".join((code or "").split())
    if not code or len(code) > 16:
        return False
    for device in devices_for_user(user, confirmed=True):
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is not None:
            if request is not None:
                otp_login(request, verified)
            return True
    return False


def pending_app(user: User) -> TOTPDevice:
    """The app being set up: made once, confirmed by its first right code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key, for typing into an app by hand, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The app's setup link as an SVG QR code, drawn on the server (no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@transaction.atomic
def enrol_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with its first right code: it becomes the account's app (any older
    one goes), new recovery codes replace old ones, and the session is verified. Returns
    the recovery codes (shown once), or None if the code was wrong."""
    if not device.verify_token("".join((code or "").split())):
        return None
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_new(user=user)
    otp_login(request, device)
    return codes


def forget_devices(user: User) -> int:
    """Remove the account's authenticator app and recovery codes (a manager's reset of a
    lost phone): its next login sets up an app again. Returns how many were removed."""
    _, apps = TOTPDevice.objects.filter(user=user).delete()
    _, codes = StaticDevice.objects.filter(user=user).delete()  # with their codes
    return apps.get(TOTPDevice._meta.label, 0) + codes.get(StaticDevice._meta.label, 0)


def recovery_codes_new(*, user: User) -> list[str]:
    """Ten new one-time recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware: a member of staff whose session has passed only
    the password step reaches nothing but the second step (and logging out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if settings.REQUIRE_STAFF_2FA:
            user = request.user
            if required_for(user) and not user.is_verified() and not _open(request.path):
                if request.path.startswith(("/api/", FHIR_PREFIX)):
                    return error_response(request, 403, API_SESSION)
                step = "two_factor_code" if has_app(user) else "two_factor_setup"
                return redirect_to_login(request.get_full_path(), reverse(step))
        return self.get_response(request)


def _open(path: str) -> bool:
    """What a half-signed-in session may still reach."""
    names = ("two_factor_code", "two_factor_setup", "logout", "login", "api-token")
    return path in {reverse(name) for name in names} or path.startswith(
        ("/" + settings.STATIC_URL.lstrip("/"), "/healthz")
    )
