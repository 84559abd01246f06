"""Notification email through a real SMTP server (aiosmtpd on a free port), checking what was sent."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from dure.notices import mail
from dure.notices.models import EmailPreference, Notification
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 try again later"
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    yield handler
    controller.stop()


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _reject(project, people, capture) -> None:
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    with capture(execute=True):
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="reject", reasons=["box too loose"])


def _with_email(user, email: str, locale: str) -> None:
    user.email, user.locale = email, locale
    user.save(update_fields=["email", "locale"])


def test_rejection_mail_in_english_with_reasons_link_and_unsubscribe(
    project, people, inbox, django_capture_on_commit_callbacks
):
    _with_email(people["worker"], "worker@example.com", "en")
    _reject(project, people, django_capture_on_commit_callbacks)
    [(recipients, message)] = inbox.messages
    assert recipients == ["worker@example.com"]
    assert message["Subject"] == f"Your submission in {project.name} was rejected and waits for rework"
    body = _body(message)
    assert "Hello Worker," in body and "Reasons: box too loose" in body and "— Dure" in body
    assert f"/projects/{project.pk}/work/" in body
    unsubscribe = re.search(r"http://\S+/notifications/unsubscribe/(\S+)/", body)
    assert unsubscribe and message["List-Unsubscribe"] == f"<{unsubscribe.group(0)}>"
    assert Notification.objects.get().emailed_at is not None

    # the link works without signing in, and stops all mail
    client = Client()
    path = _path(unsubscribe.group(0))
    assert client.get(path, headers={"Accept-Language": "en"}).status_code == 200
    done = client.post(path, headers={"Accept-Language": "en"})
    assert b"no more email" in done.content
    assert EmailPreference.objects.get(user=people["worker"]).mode == "off"
    assert client.get("/notifications/unsubscribe/forged-token/").status_code == 404


def test_korean_mail_for_a_korean_speaker(project, people, inbox, django_capture_on_commit_callbacks):
    _with_email(people["worker"], "worker@example.com", "ko")
    _reject(project, people, django_capture_on_commit_callbacks)
    [(_to, message)] = inbox.messages
    body = _body(message)
    # the Korean catalog is filled in separately; its words already there show the language was chosen
    assert "box too loose" in body and "— 두레" in body


def test_preferences_mute_a_kind_or_all_mail(project, people, inbox, django_capture_on_commit_callbacks):
    _with_email(people["worker"], "worker@example.com", "en")
    client = Client()
    client.force_login(people["worker"])
    kinds = ["payout_paid", "payout_failed"]
    assert client.post("/notifications/email/", {"mode": "immediate", "kinds": kinds}).status_code == 302
    _reject(project, people, django_capture_on_commit_callbacks)
    assert inbox.messages == [] and Notification.objects.count() == 1
    assert client.post("/notifications/email/", {"mode": "nonsense"}).status_code == 422


def test_daily_digest_gathers_what_waits(project, people, inbox, django_capture_on_commit_callbacks):
    from dure.notices import services

    _with_email(people["worker"], "worker@example.com", "en")
    services.set_email_preference(user=people["worker"], mode="digest", muted=[])
    _reject(project, people, django_capture_on_commit_callbacks)
    services.notify(recipient_id=people["worker"].pk, kind="payout_paid", key="p1", data={"net": 1000})
    assert inbox.messages == []
    assert mail.send_digests() == 1
    [(_to, message)] = inbox.messages
    body = _body(message)
    assert message["Subject"] == "Dure: 2 new notifications"
    assert "was rejected" in body and "1,000 won was paid" in body
    assert mail.send_digests() == 0


def test_a_refused_send_is_retried(project, people, inbox, django_capture_on_commit_callbacks):
    _with_email(people["worker"], "worker@example.com", "en")
    inbox.refuse = 2
    _reject(project, people, django_capture_on_commit_callbacks)
    assert len(inbox.messages) == 1


def test_no_address_no_mail(project, people, inbox, django_capture_on_commit_callbacks):
    _reject(project, people, django_capture_on_commit_callbacks)
    assert inbox.messages == [] and Notification.objects.get().emailed_at is None


def test_the_digest_goes_out_once_a_day_after_the_hour(project, people, inbox, monkeypatch):
    from datetime import datetime

    from django.utils import timezone

    from dure.notices import services

    _with_email(people["worker"], "worker@example.com", "en")
    services.set_email_preference(user=people["worker"], mode="digest", muted=[])
    services.notify(recipient_id=people["worker"].pk, kind="payout_paid", key="p1", data={"net": 1000})
    early = timezone.make_aware(datetime(2026, 11, 30, mail.DIGEST_HOUR - 1, 30))
    late = early.replace(hour=mail.DIGEST_HOUR + 1)
    monkeypatch.setattr(timezone, "localtime", lambda *args: early)
    assert mail.digests_if_due() == 0
    monkeypatch.setattr(timezone, "localtime", lambda *args: late)
    assert mail.digests_if_due() == 1
    services.notify(recipient_id=people["worker"].pk, kind="payout_paid", key="p2", data={"net": 2000})
    assert mail.digests_if_due() == 0 and len(inbox.messages) == 1
