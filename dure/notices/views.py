"""Notification pages: the list, the bell partial the nav polls, opening one, marking all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dure.core.http import user_of
from dure.notices import selectors, services
from dure.notices.api import shaped


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    rows = [shaped(n) for n in selectors.notifications_for(user)[:100]]
    return render(
        request, "notices/list.html", {"notifications": rows, "unread": selectors.unread_count(user)}
    )


@login_required
def bell(request: HttpRequest) -> HttpResponse:
    return render(request, "notices/bell.html", {"unread": selectors.unread_count(user_of(request))})


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Marks it read and goes where it points: the rework is one click from the list."""
    notification = services.mark_read(user=user_of(request), notification_id=notification_id)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notices:list")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=user_of(request))
    return redirect("notices:list")
