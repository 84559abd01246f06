"""Notification pages: the list, the bell partial the nav polls, opening one, marking all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dure.accounts.models import User
from dure.core.errors import InvalidInput
from dure.core.http import user_of
from dure.notices import mail, selectors, services
from dure.notices.api import shaped
from dure.notices.models import EmailMode, Kind


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


@login_required
@require_POST
def email_settings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    mode = request.POST.get("mode", EmailMode.IMMEDIATE)
    if mode not in EmailMode.values:
        raise InvalidInput(field="mode")
    wanted = set(request.POST.getlist("kinds"))
    services.set_email_preference(user=user, mode=mode, muted=[k for k in Kind.values if k not in wanted])
    messages.success(request, _("Email settings saved."))
    return redirect("notices:list")


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """From the link in every mail, without signing in: the signed token names the person."""
    user_id = mail.user_id_for(token)
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    if user is None:
        raise Http404()
    if request.method == "POST":
        current = mail.preference(user.pk)
        services.set_email_preference(user=user, mode=EmailMode.OFF, muted=list(current.muted))
        return render(request, "notices/unsubscribe.html", {"done": True})
    return render(request, "notices/unsubscribe.html", {"done": False})
