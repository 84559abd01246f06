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
from dure.notices.api import shaped, shaped_question
from dure.notices.models import EmailMode, Kind
from dure.projects.selectors import Access, project_access


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    rows = [shaped(n) for n in selectors.notifications_for(user)[:100]]
    preference = mail.preference(user.pk)
    return render(
        request,
        "notices/list.html",
        {
            "notifications": rows,
            "unread": selectors.unread_count(user),
            "has_email": bool(user.email),
            "mode": preference.mode,
            "modes": EmailMode.choices,
            "kinds": [
                {"value": value, "label": label, "on": value not in preference.muted}
                for value, label in Kind.choices
            ],
        },
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


def _project(request: HttpRequest, project_id: int) -> tuple[User, Access]:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(access.can_work or access.can_view_progress)
    return user, access


@login_required
def questions(request: HttpRequest, project_id: int) -> HttpResponse:
    user, access = _project(request, project_id)
    if request.method == "POST":
        text = request.POST.get("text", "").strip()
        if not text:
            raise InvalidInput(field="text")
        if request.POST.get("action") == "answer":
            access.require(access.can_review)
            question = selectors.question(
                project_id=project_id, question_id=_int(request.POST.get("question"))
            )
            services.answer(
                author=user, question=question, text=text, promote=bool(request.POST.get("promote"))
            )
            return redirect(f"{request.path}#question-{question.pk}")
        access.require(access.can_work)
        item_id = request.POST.get("item_id")
        services.ask(
            asker=user, project=access.project, text=text, item_id=_int(item_id) if item_id else None
        )
        messages.success(request, _("Your question was sent. You will be notified of the answer."))
        return redirect(request.path)
    found = selectors.questions(user=user, project_id=project_id, everyone=access.can_review)[:200]
    item = request.GET.get("item", "")
    return render(
        request,
        "notices/questions.html",
        {
            "project": access.project,
            "access": access,
            "questions": [shaped_question(q, user) for q in found],
            "faq": [shaped_question(q, user) for q in selectors.faq(project_id=project_id)],
            "item_id": int(item) if item.isdigit() else None,
        },
    )


@login_required
def announcements(request: HttpRequest, project_id: int) -> HttpResponse:
    user, access = _project(request, project_id)
    if request.method == "POST":
        access.require(access.can_manage)
        title = request.POST.get("title", "").strip()[:200]
        if not title:
            raise InvalidInput(field="title")
        services.announce(actor=user, project=access.project, title=title, body=request.POST.get("body", ""))
        return redirect(request.path)
    return render(
        request,
        "notices/announcements.html",
        {
            "project": access.project,
            "access": access,
            "announcements": selectors.announcements(user=user, project_id=project_id),
        },
    )


@login_required
@require_POST
def announcement_read(request: HttpRequest, project_id: int, announcement_id: int) -> HttpResponse:
    user, access = _project(request, project_id)
    services.mark_announcement_read(user=user, project=access.project, announcement_id=announcement_id)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notices:announcements", project_id=project_id)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput(field="question") from None
