"""Email for notifications: at once or in a daily digest, in the person's language, with an unsubscribe link.

Sending happens only in jobs; a failed send is retried with backoff a few times, then given up (the
notification stays in the app either way).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dure.accounts.models import User
from dure.notices.models import EmailMode, EmailPreference, Notification
from dure.notices.selectors import wording

logger = logging.getLogger(__name__)
SALT = "dure.notices.unsubscribe"
MAX_ATTEMPTS = 5


def preference(user_id: int) -> EmailPreference:
    found = EmailPreference.objects.filter(user_id=user_id).first()
    return found or EmailPreference(user_id=user_id)


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=SALT)


def user_id_for(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _absolute(path: str) -> str:
    return settings.DURE_SECURITY["PUBLIC_URL"].rstrip("/") + path


def _send(user: User, subject: str, lines: list[dict[str, str]]) -> None:
    unsubscribe = _absolute(reverse("notices:unsubscribe", args=[unsubscribe_token(user.pk)]))
    body = render_to_string(
        "notices/email.txt",
        {
            "user": user,
            "lines": lines,
            "unsubscribe": unsubscribe,
            "settings_url": _absolute("/notifications/"),
        },
    )
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>"},
    )
    message.send()


def _line(notification: Notification) -> dict[str, Any]:
    words = wording(notification.kind, notification.data)
    link = _absolute(notification.link) if notification.link else ""
    faq = [_absolute(str(entry.get("url", ""))) for entry in notification.data.get("faq") or []]
    return {"title": words.title, "body": words.body, "link": link, "faq": faq}


def wanted(notification: Notification) -> str | None:
    """The email mode for this notification, or None when its recipient wants no mail for it."""
    chosen = preference(notification.recipient_id)
    if chosen.mode == EmailMode.OFF or notification.kind in chosen.muted:
        return None
    return str(chosen.mode)


def send_one(notification_id: int) -> bool:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return False
        if wanted(notification) != EmailMode.IMMEDIATE:
            return False
        user = notification.recipient
        with translation.override(user.locale):
            line = _line(notification)
            _send(user, line["title"], [line])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def send_digests() -> int:
    """One mail per person who chose the daily digest, with everything not yet mailed."""
    sent = 0
    users = (
        EmailPreference.objects.filter(mode=EmailMode.DIGEST)
        .exclude(user__email="")
        .values_list("user_id", flat=True)
    )
    for user_id in users:
        with transaction.atomic():
            waiting = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(recipient_id=user_id, emailed_at__isnull=True)
                .order_by("id")[:200]
            )
            muted = set(preference(user_id).muted)
            waiting = [n for n in waiting if n.kind not in muted]
            if not waiting:
                continue
            user = User.objects.get(pk=user_id)
            with translation.override(user.locale):
                subject = _("Dure: %(count)d new notifications") % {"count": len(waiting)}
                _send(user, subject, [_line(n) for n in waiting])
            Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(emailed_at=timezone.now())
            sent += 1
    return sent


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=30 * 2**attempt)


#: the local hour after which the day's digest goes out
DIGEST_HOUR = 8


def digests_if_due() -> int:
    """Called from the worker's sweep: once per local day, after DIGEST_HOUR, whichever worker comes first."""
    from django.core.cache import cache

    now = timezone.localtime()
    if now.hour < DIGEST_HOUR or not cache.add(f"notices:digest:{now.date()}", 1, timeout=2 * 86400):
        return 0
    return send_digests()
