"""Webhooks against a real HTTP server started in the test: signatures, retries with backoff, the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from dure.webhooks import services
from dure.webhooks.models import Delivery
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []  # answers to give, in order; 200 once used up
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks" if status == 200 else b"broken")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "WEBHOOK_ALLOW_PRIVATE": True}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(
        secret.encode(), headers["x-dure-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["x-dure-signature"], "sha256=" + expected)


def test_test_button_delivers_a_signed_ping(org, people, api, receiver):
    created = api("manager").post(
        f"/organizations/{org.pk}/webhooks", {"url": receiver.url, "events": ["item.approved"]}
    )
    assert created.status_code == 201, created.content
    hook = created.json()
    result = api("manager").post(f"/webhooks/{hook['id']}/test")
    assert result.status_code == 200
    assert result.json()["state"] == "delivered" and result.json()["response_status"] == 200
    headers, body = receiver.requests[0]
    assert _verify(hook["secret"], headers, body)
    assert not _verify("another-secret", headers, body)
    assert json.loads(body)["event"] == "ping" and headers["x-dure-event"] == "ping"
    log = api("owner").get(f"/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [d["response_body"] for d in log] == ["thanks"]
    assert "secret" not in api("owner").get(f"/organizations/{org.pk}/webhooks").json()[0]


def test_failures_are_retried_with_backoff_then_given_up(org, people, receiver):
    _hook, _secret = services.create_webhook(
        actor=people["owner"], organization=org, project_id=None, url=receiver.url, events=["item.approved"]
    )
    receiver.statuses = [500] * services.MAX_ATTEMPTS
    [delivery_id] = services.emit(event="item.approved", organization_id=org.pk, data={"x": 1})
    delivery = services.attempt(delivery_id)
    assert (
        delivery.state == "pending" and delivery.response_status == 500 and delivery.response_body == "broken"
    )
    waited = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=29) < waited <= timedelta(seconds=31)
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        Delivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
        assert services.retry_due() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.state == "failed" and delivery.next_attempt_at is None
    assert len(receiver.requests) == services.MAX_ATTEMPTS
    assert services.backoff(5) == timedelta(seconds=30 * 4**4)


def test_a_recovered_receiver_gets_the_retry(org, people, receiver):
    services.create_webhook(
        actor=people["owner"], organization=org, project_id=None, url=receiver.url, events=["item.approved"]
    )
    receiver.statuses = [503]
    [delivery_id] = services.emit(event="item.approved", organization_id=org.pk, data={})
    services.attempt(delivery_id)
    Delivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
    services.retry_due()
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.state == "delivered" and delivery.attempts == 2


def test_item_approved_is_sent_after_the_decision_commits(
    project, people, receiver, django_capture_on_commit_callbacks
):
    from dure.webhooks.signals import forget_subscriptions

    _hook, secret = services.create_webhook(
        actor=people["owner"], organization=project.organization, project_id=project.pk, url=receiver.url,
        events=["item.approved"],
    )  # fmt: skip
    forget_subscriptions()
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    with django_capture_on_commit_callbacks(execute=True):
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert _verify(secret, headers, body)
    payload = json.loads(body)
    assert payload["event"] == "item.approved" and payload["project_id"] == project.pk
    assert payload["data"]["review_id"] == review.pk


def test_private_addresses_are_refused_unless_allowed(org, api, people):
    response = api("owner").post(
        f"/organizations/{org.pk}/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["item.approved"]}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "webhook_url_refused"
    assert response.json()["message"] == "Webhooks must go to a public http(s) address."
    bad = api("owner").post(
        f"/organizations/{org.pk}/webhooks", {"url": "file:///etc/passwd", "events": ["ping"]}
    )
    assert bad.json()["code"] == "webhook_url_refused"


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("manager", 200), ("reviewer", 403), ("worker", 403), ("viewer", 403),
     ("outsider", 404), ("anonymous", 401)],
)  # fmt: skip
def test_webhook_endpoints_by_role(org, people, api, role, expected, settings):
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "WEBHOOK_ALLOW_PRIVATE": True}
    hook, _ = services.create_webhook(
        actor=people["owner"], organization=org, project_id=None, url="http://127.0.0.1:9/", events=["ping"]
    )
    client = api(role)
    assert client.get(f"/organizations/{org.pk}/webhooks").status_code == expected
    deliveries = client.get(f"/webhooks/{hook.pk}/deliveries").status_code
    assert deliveries == (404 if expected == 403 else expected) or deliveries == expected
