"""Pages for signing in (with the second factor), setting up an authenticator, and accepting an invitation.

The password step and the code step are two requests: between them the session holds only who passed the
password and when, never a signed-in user, so an unfinished second step gives no access at all.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dure.accounts import provisioning, security, throttle
from dure.accounts.errors import (
    InvalidCredentials,
    InvitationInvalid,
    MfaEnrollmentRequired,
    MfaInvalid,
    MfaRequired,
    TooManyAttempts,
    UsernameTaken,
    WeakPassword,
)
from dure.accounts.models import Role, User
from dure.audit.services import client_ip
from dure.core.errors import Conflict
from dure.core.http import user_of

#: the session key of a sign-in that passed the password and waits for the code
PENDING = "dure:second_step"
#: time to type the code after the password; then the password is asked again
PENDING_SECONDS = 300
PASSWORD_BACKEND = "dure.accounts.throttle.LockoutModelBackend"


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _start_second_step(request: HttpRequest, user: User, *, backend: str, next_url: str) -> HttpResponse:
    request.session.cycle_key()  # the half-signed-in session gets a fresh id, like a full sign-in would
    request.session[PENDING] = {"user": user.pk, "backend": backend, "at": time.time(), "next": next_url}
    return redirect("accounts:second_step")


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    error = ""
    status = 200
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        try:
            user = security.authenticate_password(
                username=username, password=request.POST.get("password", ""), ip=client_ip(request)
            )
        except TooManyAttempts as refused:
            error, status = str(refused.message), 429
        except InvalidCredentials as refused:
            error = str(refused.message)
        else:
            backend = getattr(user, "backend", PASSWORD_BACKEND)
            if security.needs_second_step(user):
                return _start_second_step(request, user, backend=backend, next_url=next_url)
            login(request, user, backend=backend)
            return redirect(_safe_next(request, next_url))
    return render(
        request,
        "web/login.html",
        {
            "error": error,
            "username": username,
            "next": next_url,
            "sso": bool(settings.OIDC_RP_CLIENT_ID),
            "signup_open": settings.DURE_SIGNUP_OPEN,
        },
        status=status,
    )


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, {}
    return User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first(), pending


def second_step(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None:
        messages.error(request, _("Sign in again: the time to enter the code ran out."))
        return redirect("web:login")
    enrolling = not security.has_second_factor(user)
    error = ""
    status = 200
    if request.method == "POST":
        code = request.POST.get("code", "")[:20]
        try:
            throttle.check(username=user.username, ip=client_ip(request))
            security.check_second_factor(user=user, otp=code)
        except TooManyAttempts as refused:
            # Locked: the password has to be typed again once the lockout is over.
            request.session.pop(PENDING, None)
            messages.error(request, str(refused.message))
            return redirect("web:login")
        except (MfaInvalid, MfaRequired) as refused:
            error, status = str(refused.message), 400
        except MfaEnrollmentRequired:
            # A wrong first code while setting up counts like a wrong code of a working authenticator.
            if code:
                throttle.failed(user.username)
            error, status = str(MfaInvalid().message), 400
        else:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending.get("backend") or PASSWORD_BACKEND)
            return redirect(_safe_next(request, str(pending.get("next") or "")))
    context: dict[str, Any] = {"person": user, "enrolling": enrolling, "error": error}
    if enrolling:
        secret, uri = security.pending_enrollment(user=user)
        context |= {"secret": secret, "qr": security.qr_svg(uri)}
    return render(request, "accounts/second_step.html", context, status=status)


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Setting up, confirming and turning off the authenticator app (reached from the profile page)."""
    user = user_of(request)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        code = request.POST.get("code", "")[:20]
        try:
            if action == "start":
                security.start_enrollment(user=user)
            elif action == "confirm":
                security.confirm_enrollment(user=user, code=code)
                messages.success(request, _("Two-factor authentication is on."))
            elif action == "disable":
                security.disable(user=user, code=code)
                messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:two_factor")
        except MfaInvalid as refused:
            error, status = str(refused.message), 400
        except Conflict:
            return redirect("accounts:two_factor")
    enabled = security.has_second_factor(user)
    context: dict[str, Any] = {
        "enabled": enabled,
        "required": security.mfa_enforced(user),
        "error": error,
        "setting_up": False,
    }
    if not enabled and security.setup_started(user):
        secret, uri = security.pending_enrollment(user=user)
        context |= {"setting_up": True, "secret": secret, "qr": security.qr_svg(uri)}
    return render(request, "accounts/two_factor.html", context, status=status)


# --- invitations ------------------------------------------------------------------------------------------


def invitation(request: HttpRequest, key: str) -> HttpResponse:
    """The page an invitation link opens: set a password (or use SSO, or join as the signed-in person)."""
    key = key[:100]
    found = provisioning.invitation_for_key(key)
    gone = provisioning.invitation_problem(found)
    if gone is not None:
        return render(
            request, "accounts/invitation_gone.html", {"problem": gone}, status=410 if found else 404
        )
    assert found is not None
    errors: dict[str, list[str]] = {}
    values = {"username": "", "display_name": ""}
    signed_in = user_of(request) if request.user.is_authenticated else None
    if request.method == "POST":
        values = {
            "username": request.POST.get("username", "").strip()[:150],
            "display_name": request.POST.get("display_name", "").strip()[:150],
        }
        try:
            if request.POST.get("action") == "join" and signed_in is not None:
                user = provisioning.accept_invitation_as(key=key, user=signed_in)
                return _joined(request, user, found.organization, found.role, signed_in=True)
            password = request.POST.get("password", "")
            if password != request.POST.get("password_again", ""):
                errors["password_again"] = [_("The two passwords differ.")]
            elif found.user is None and not values["username"]:
                errors["username"] = [_("Choose a username.")]
            else:
                user = provisioning.accept_invitation(
                    key=key,
                    username=values["username"] or None,
                    password=password,
                    display_name=values["display_name"],
                    locale=(get_language() or "ko")[:2],
                )
                return _joined(request, user, found.organization, found.role, signed_in=False)
        except WeakPassword as refused:
            errors["password"] = [str(m) for m in refused.details.get("password", [])] or [
                str(refused.message)
            ]
        except UsernameTaken as refused:
            errors["username"] = [str(refused.message)]
        except InvitationInvalid:
            return render(request, "accounts/invitation_gone.html", {"problem": "used"}, status=410)
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": found,
            "role": Role(found.role).label,
            "errors": errors,
            "values": values,
            "signed_in": signed_in,
            "sso": bool(settings.OIDC_RP_CLIENT_ID),
            "sso_next": reverse("accounts:invitation", args=[key]),
        },
        status=400 if errors else 200,
    )


def _joined(
    request: HttpRequest, user: User, organization: Any, role: str, *, signed_in: bool
) -> HttpResponse:
    if organization is not None:
        messages.success(
            request,
            _("Welcome to %(organization)s. Your role: %(role)s.")
            % {"organization": organization.name, "role": Role(role).label},
        )
    if signed_in:
        return redirect("web:home")
    user.backend = PASSWORD_BACKEND
    if security.needs_second_step(user):
        return _start_second_step(request, user, backend=PASSWORD_BACKEND, next_url="")
    login(request, user, backend=PASSWORD_BACKEND)
    return redirect("web:home")
