"""Start-up warnings for defaults that are fine on a laptop and unsafe in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register("dure", deploy=True)
def insecure_defaults(app_configs: Any, **kwargs: Any) -> list[Warning]:
    warnings = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY:
        warnings.append(Warning("DURE_SECRET_KEY is not set; the development key is public.", id="dure.W001"))
    if str(settings.DATABASES["default"]["ENGINE"]).endswith("sqlite3"):
        warnings.append(
            Warning(
                "SQLite is fine for one machine; set DURE_DATABASE_URL=postgres://… to run several app servers.",
                id="dure.W002",
            )
        )
    return warnings


@register("dure", deploy=True)
def insecure_operations(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Settings of sign-in protection, cookies and integrations that are unsafe on a public server."""
    warnings = []
    security = settings.DURE_SECURITY
    if not settings.DURE_HTTPS:
        warnings.append(
            Warning(
                "DURE_HTTPS is off: session and CSRF cookies are sent over plain HTTP and there is no HSTS.",
                hint="Serve Dure behind TLS and set DURE_HTTPS=1 (and DURE_BEHIND_PROXY=1 behind a proxy).",
                id="dure.W003",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        warnings.append(
            Warning(
                "The cache is per process: sign-in rate limits and lockouts are counted per web worker.",
                hint="Set DURE_REDIS_URL so every worker shares the counters.",
                id="dure.W004",
            )
        )
    if not security["MFA_REQUIRED_FOR_MANAGERS"]:
        warnings.append(
            Warning(
                "Owners and managers may sign in without a second factor.",
                hint="Set DURE_MFA_REQUIRED_FOR_MANAGERS=1 (or sign in through an identity provider with MFA).",
                id="dure.W005",
            )
        )
    if security["WEBHOOK_ALLOW_PRIVATE"]:
        warnings.append(
            Warning(
                "Webhooks may target private and loopback addresses (server-side request forgery).",
                hint="Leave DURE_WEBHOOK_ALLOW_PRIVATE unset unless the pipelines live inside this network.",
                id="dure.W006",
            )
        )
    if settings.OIDC_RP_CLIENT_ID and not settings.OIDC_OP_ISSUER:
        warnings.append(
            Warning("DURE_OIDC_ISSUER is empty: ID tokens are not checked for their issuer.", id="dure.W007")
        )
    if settings.DEBUG:
        warnings.append(Warning("DURE_DEBUG is on: error pages show settings and code.", id="dure.W008"))
    return warnings


@register("dure")
def browser_middleware(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The admin's own middleware checks are silenced (settings.py): the middleware they look for by name is
    inside BrowserMiddleware, which must therefore be there."""
    if "dure.core.middleware.BrowserMiddleware" in settings.MIDDLEWARE:
        return []
    return [
        Error(
            "MIDDLEWARE lacks dure.core.middleware.BrowserMiddleware: no sessions, CSRF or sign-in for pages.",
            id="dure.E001",
        )
    ]
