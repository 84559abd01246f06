"""Writing the audit log: ``record(...)`` from anywhere, in the caller's transaction.

The request being served is kept in a context variable (``AuditMiddleware``), so a signal handler deep in
a service still knows who acted and from which address without every service passing it along.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from dure.audit.models import AuditEvent

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("audit_request", default=None)


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reset = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(reset)


def current_request() -> HttpRequest | None:
    return _request.get()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind a proxy, SecurityMiddleware/the proxy sets REMOTE_ADDR; X-Forwarded-For is not trusted here.
    return request.META.get("REMOTE_ADDR") or None


def _actor_id(actor: Any) -> int | None:
    if actor is not None:
        return int(actor.pk) if getattr(actor, "pk", None) is not None else None
    request = current_request()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return int(user.pk)
    return None


def record(
    action: str,
    *,
    organization: Any = None,
    actor: Any = None,
    target: Any = None,
    target_type: str = "",
    target_id: Any = "",
    **details: Any,
) -> AuditEvent:
    """Appends one event. ``organization`` and ``actor`` may be objects or ids; ``target`` a model instance."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    organization_id = getattr(organization, "pk", organization)
    subject_id = int(target_id) if target_type == "accounts.user" and str(target_id).isdigit() else None
    return AuditEvent.objects.create(
        action=action,
        organization_id=organization_id,
        actor_id=_actor_id(actor),
        subject_id=subject_id,
        target_type=target_type,
        target_id=str(target_id or ""),
        ip=client_ip(current_request()),
        details=details,
    )
