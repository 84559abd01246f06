"""Signing in for an API token with rate limits, lockout and TOTP two-factor authentication."""

from __future__ import annotations

import time

import pyotp
import segno
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from dure.accounts import throttle
from dure.accounts.errors import (
    InvalidCredentials,
    MfaEnrollmentRequired,
    MfaInvalid,
    MfaRequired,
)
from dure.accounts.models import MANAGING_ROLES, ApiToken, Membership, TotpDevice, User
from dure.accounts.services import issue_token
from dure.audit.models import Action
from dure.audit.services import record
from dure.core.errors import Conflict

ISSUER = "Dure"


def manages_anything(user: User) -> bool:
    return Membership.objects.filter(user=user, role__in=MANAGING_ROLES).exists()


def mfa_enforced(user: User) -> bool:
    return bool(settings.DURE_SECURITY["MFA_REQUIRED_FOR_MANAGERS"]) and manages_anything(user)


def start_enrollment(*, user: User) -> tuple[str, str]:
    """A new secret for an authenticator app: (secret, otpauth:// URI for a QR code)."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise Conflict(reason="two-factor authentication is already on; turn it off first")
        secret = pyotp.random_base32()
        TotpDevice.objects.update_or_create(
            user=user, defaults={"secret": secret, "confirmed_at": None, "last_step": 0}
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return secret, uri


def has_second_factor(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def setup_started(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).exists()


def needs_second_step(user: User) -> bool:
    """After the password: a code for people with an authenticator, an enrolment for those who must have one."""
    return has_second_factor(user) or mfa_enforced(user)


def pending_enrollment(*, user: User) -> tuple[str, str]:
    """The secret being set up (the same one on every reload, so a scanned QR code stays valid), or a new one."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return start_enrollment(user=user)
    return device.secret, pyotp.TOTP(device.secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code, drawn here: no image service ever sees the secret."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#101828", light="#ffffff"))


def _accept(device: TotpDevice, code: str) -> bool:
    """True for a current code (±1 step for clock drift) not used before; the step is remembered."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now = int(time.time())
    for offset in (0, -1, 1):
        step = now // 30 + offset
        if step > device.last_step and totp.at(step * 30) == code:
            # Conditional update: two requests racing with the same code cannot both win.
            won = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
            return won == 1
    return False


def confirm_enrollment(*, user: User, code: str) -> None:
    device = TotpDevice.objects.filter(user=user).first()
    if device is None or not _accept(device, code):
        raise MfaInvalid()
    if device.confirmed_at is None:
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        record(Action.MFA_ENABLED, actor=user, target=user)


def disable(*, user: User, code: str) -> None:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return
    if not _accept(device, code):
        raise MfaInvalid()
    device.delete()


def check_second_factor(*, user: User, otp: str | None) -> None:
    """Raises unless the person passes the second factor their account and role require."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        if not otp:
            raise MfaRequired()
        if not _accept(device, otp):
            throttle.failed(user.username)
            raise MfaInvalid()
        return
    if mfa_enforced(user):
        # First sign-in after enrolling: a correct code confirms the device.
        if device is not None and otp and _accept(device, otp):
            TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
            record(Action.MFA_ENABLED, actor=user, target=user)
            return
        raise MfaEnrollmentRequired()


def authenticate_password(*, username: str, password: str, ip: str | None) -> User:
    throttle.check(username=username, ip=ip)
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials()
    assert isinstance(user, User)
    return user


def sign_in_for_token(
    *, username: str, password: str, otp: str | None, name: str, ip: str | None
) -> tuple[ApiToken, str]:
    user = authenticate_password(username=username, password=password, ip=ip)
    check_second_factor(user=user, otp=otp)
    token, raw = issue_token(user=user, name=name)
    record(Action.SIGN_IN, actor=user, target=user, via="token", token_id=token.pk)
    return token, raw
