"""Webhooks: signed JSON POSTs to the client's pipeline, retried with backoff as background jobs.

Signature: ``X-Dure-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Dure-Timestamp>.<body>")>``; the
receiver recomputes it and rejects old timestamps, which stops both forgery and replay.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from dure.accounts.models import Organization, User
from dure.audit.models import Action
from dure.audit.services import record
from dure.webhooks.errors import WebhookUrlRefused
from dure.webhooks.models import Delivery, DeliveryState, Event, Webhook

MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10
USER_AGENT = "Dure-Webhooks/1"


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 2 min, 8 min, 32 min, ~2 h."""
    return timedelta(seconds=30 * 4 ** (attempts - 1))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def check_url(url: str) -> None:
    """Refuses non-http(s) URLs and, unless allowed, addresses inside the server's own network (SSRF)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookUrlRefused(url=url)
    if settings.DURE_SECURITY["WEBHOOK_ALLOW_PRIVATE"]:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise WebhookUrlRefused(url=url, reason="host does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookUrlRefused(url=url, reason="private address")


def create_webhook(
    *, actor: User, organization: Organization, project_id: int | None, url: str, events: list[str]
) -> tuple[Webhook, str]:
    check_url(url)
    secret = secrets.token_hex(32)
    webhook = Webhook.objects.create(
        organization=organization,
        project_id=project_id,
        url=url,
        secret=secret,
        events=sorted(set(events)),
        created_by=actor,
    )
    record(
        Action.WEBHOOK_CHANGED,
        actor=actor,
        organization=organization,
        target=webhook,
        url=url,
        change="created",
    )
    return webhook, secret


def delete_webhook(*, actor: User, webhook: Webhook) -> None:
    record(
        Action.WEBHOOK_CHANGED,
        actor=actor,
        organization=webhook.organization_id,
        target=webhook,
        url=webhook.url,
        change="deleted",
    )
    webhook.delete()


def _payload(delivery_id: int, event: str, organization_id: int, project_id: int | None, data: dict) -> dict:
    return {
        "id": delivery_id,
        "event": event,
        "created_at": timezone.now().isoformat(),
        "organization_id": organization_id,
        "project_id": project_id,
        "data": data,
    }


def emit(
    *, event: str, organization_id: int, project_id: int | None = None, data: dict[str, Any]
) -> list[int]:
    """Queues one delivery per subscribed webhook; they are sent once the caller's transaction commits."""
    hooks = Webhook.objects.filter(organization_id=organization_id, active=True)
    if project_id is None:
        hooks = hooks.filter(project__isnull=True)
    else:
        hooks = hooks.filter(project__isnull=True) | hooks.filter(project_id=project_id)
    ids = []
    for hook in hooks:
        if event not in hook.events:
            continue
        delivery = Delivery.objects.create(webhook=hook, event=event, payload={})
        delivery.payload = _payload(delivery.pk, event, organization_id, project_id, data)
        delivery.save(update_fields=["payload"])
        ids.append(delivery.pk)
    for delivery_id in ids:
        transaction.on_commit(lambda d=delivery_id: enqueue(d))  # type: ignore[misc]
    return ids


def enqueue(delivery_id: int, *, delay: timedelta | None = None) -> None:
    from dure.webhooks.jobs import deliver

    if delay is not None and deliver.get_backend().supports_defer:
        deliver.using(run_after=timezone.now() + delay).enqueue(delivery_id)
    elif delay is None:
        deliver.enqueue(delivery_id)
    # A backend that cannot defer (the immediate one in development) leaves retries to ``retry_due``.


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could point inside the network; it counts as a failed delivery


_opener = urllib.request.build_opener(_NoRedirects)


def attempt(delivery_id: int) -> Delivery:
    """One try. Success is any 2xx; otherwise the delivery is scheduled again until ``MAX_ATTEMPTS``."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("webhook").filter(pk=delivery_id).first()
        )
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return delivery  # type: ignore[return-value]
        now = timezone.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return delivery  # another worker's sweep or job holds it, or its retry time has not come
        delivery.attempts += 1
        delivery.last_attempt_at = now
        # The claim: while this attempt runs, neither the retry sweep nor a deferred job takes it again;
        # if this process dies mid-request, the claim lapses and the sweep retries it.
        delivery.next_attempt_at = now + timedelta(seconds=3 * TIMEOUT_SECONDS)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    hook = delivery.webhook
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    status: int | None = None
    text = ""
    error = ""
    try:
        check_url(hook.url)
        request = urllib.request.Request(
            hook.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Dure-Event": delivery.event,
                "X-Dure-Delivery": str(delivery.pk),
                "X-Dure-Timestamp": timestamp,
                "X-Dure-Signature": sign(hook.secret, timestamp, body),
            },
        )
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
            text = response.read(1000).decode("utf-8", "replace")
    except urllib.error.HTTPError as failure:
        status = failure.code
        text = failure.read(1000).decode("utf-8", "replace")
    except WebhookUrlRefused as refused:
        error = f"refused: {refused.details.get('reason', 'url')}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        error = str(getattr(failure, "reason", failure))[:300]
    delivery.response_status = status
    delivery.response_body = text[:1000]
    delivery.error = error[:300]
    if status is not None and 200 <= status < 300:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "response_status",
            "response_body",
            "error",
            "state",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    if delivery.state == DeliveryState.PENDING and delivery.next_attempt_at is not None:
        enqueue(delivery.pk, delay=backoff(delivery.attempts))
    return delivery


#: how often the worker's sweep looks for due retries (one worker at a time, see ``retry_if_due``)
RETRY_SWEEP_SECONDS = 30


def retry_if_due() -> int:
    """From ``dure worker``'s sweep: retries that a backend without deferred jobs (or a lost job) left."""
    from django.core.cache import cache

    if not cache.add("webhooks:retry-sweep", 1, timeout=RETRY_SWEEP_SECONDS):
        return 0
    return retry_due()


def retry_due(*, limit: int = 100) -> int:
    """Tries deliveries whose retry time has come (for backends that cannot defer, and lost jobs)."""
    due = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        attempt(delivery_id)
    return len(due)


def send_test(*, actor: User, webhook: Webhook) -> Delivery:
    """The test button: one ping, sent now, its outcome returned."""
    delivery = Delivery.objects.create(webhook=webhook, event=Event.PING, payload={})
    delivery.payload = _payload(
        delivery.pk, Event.PING, webhook.organization_id, webhook.project_id, {"by": actor.username}
    )
    delivery.save(update_fields=["payload"])
    return attempt(delivery.pk)
