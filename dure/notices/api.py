"""The caller's own notifications: list, mark one read, mark all read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from dure.accounts.models import User
from dure.core.http import user_of
from dure.notices import selectors, services
from dure.notices.models import EmailPreference, Kind, Notification, Question
from dure.notices.schemas import (
    AnnouncementIn,
    AnnouncementOut,
    AnswerIn,
    EmailPreferencesOut,
    EmailPreferencesPatch,
    FaqIn,
    NotificationList,
    NotificationOut,
    QuestionIn,
    QuestionOut,
    ReadAllOut,
)
from dure.projects.selectors import Access, project_access

router = Router(tags=["notifications"])
PAGE = 50


class ListQuery(Schema):
    unread: bool = False
    #: the id of the last notification of the previous page
    before: int | None = None


def shaped(notification: Notification) -> dict[str, Any]:
    words = selectors.wording(notification.kind, notification.data)
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": words.title,
        "body": words.body,
        "data": notification.data,
        "link": notification.link,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


@router.get("/notifications", response=NotificationList)
def list_notifications(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    user = user_of(request)
    found = selectors.notifications_for(user)
    if query.unread:
        found = found.filter(read_at__isnull=True)
    if query.before is not None:
        found = found.filter(pk__lt=query.before)
    page = list(found[: PAGE + 1])
    return {
        "unread": selectors.unread_count(user),
        "results": [shaped(n) for n in page[:PAGE]],
        "next_cursor": page[PAGE - 1].pk if len(page) > PAGE else None,
    }


@router.post("/notifications/read-all", response=ReadAllOut)
def read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.mark_all_read(user=user_of(request))}


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    return shaped(services.mark_read(user=user_of(request), notification_id=notification_id))


def shaped_preferences(preference: EmailPreference) -> dict[str, Any]:
    muted = set(preference.muted)
    return {
        "mode": preference.mode,
        "muted": sorted(muted),
        "kinds": [{"kind": k, "label": str(label), "email": k not in muted} for k, label in Kind.choices],
    }


@router.get("/me/notification-preferences", response=EmailPreferencesOut)
def get_preferences(request: HttpRequest) -> dict[str, Any]:
    from dure.notices.mail import preference

    return shaped_preferences(preference(user_of(request).pk))


@router.patch("/me/notification-preferences", response=EmailPreferencesOut)
def patch_preferences(request: HttpRequest, body: EmailPreferencesPatch) -> dict[str, Any]:
    return shaped_preferences(
        services.update_email_preference(user=user_of(request), mode=body.mode, muted=body.muted)
    )


# --- announcements and guideline questions ----------------------------------------------------------------


def _access(request: HttpRequest, project_id: int) -> tuple[User, Access]:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(access.can_work or access.can_view_progress)
    return user, access


def shaped_question(question: Question, user: User) -> dict[str, Any]:
    return {
        "id": question.pk,
        "text": question.text,
        "item_id": question.item_id,
        "mine": question.asker_id == user.pk,
        "in_faq": question.in_faq,
        "created_at": question.created_at,
        "answers": [
            {"id": a.pk, "text": a.text, "created_at": a.created_at}
            for a in sorted(question.answers.all(), key=lambda a: a.pk)
        ],
    }


@router.get("/projects/{project_id}/announcements", response=list[AnnouncementOut])
def list_announcements(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    user, _unused = _access(request, project_id)
    return selectors.announcements(user=user, project_id=project_id)


@router.post("/projects/{project_id}/announcements", response={201: AnnouncementOut})
def create_announcement(request: HttpRequest, project_id: int, body: AnnouncementIn) -> Status:
    user, access = _access(request, project_id)
    access.require(access.can_manage)
    made = services.announce(actor=user, project=access.project, title=body.title, body=body.body)
    return Status(
        201,
        {"id": made.pk, "title": made.title, "body": made.body, "created_at": made.created_at, "read": False},
    )


@router.post("/projects/{project_id}/announcements/{announcement_id}/read", response={204: None})
def read_announcement(request: HttpRequest, project_id: int, announcement_id: int) -> Status:
    user, access = _access(request, project_id)
    services.mark_announcement_read(user=user, project=access.project, announcement_id=announcement_id)
    return Status(204, None)


@router.get("/projects/{project_id}/questions", response=list[QuestionOut])
def list_questions(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    user, access = _access(request, project_id)
    found = selectors.questions(user=user, project_id=project_id, everyone=access.can_review)[:200]
    return [shaped_question(q, user) for q in found]


@router.get("/projects/{project_id}/faq", response=list[QuestionOut])
def list_faq(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    user, _unused = _access(request, project_id)
    return [shaped_question(q, user) for q in selectors.faq(project_id=project_id)]


@router.post("/projects/{project_id}/questions", response={201: QuestionOut})
def ask_question(request: HttpRequest, project_id: int, body: QuestionIn) -> Status:
    user, access = _access(request, project_id)
    access.require(access.can_work)
    asked = services.ask(asker=user, project=access.project, text=body.text, item_id=body.item_id)
    return Status(201, shaped_question(asked, user))


@router.post("/projects/{project_id}/questions/{question_id}/answers", response={201: QuestionOut})
def answer_question(request: HttpRequest, project_id: int, question_id: int, body: AnswerIn) -> Status:
    user, access = _access(request, project_id)
    access.require(access.can_review)
    question = selectors.question(project_id=project_id, question_id=question_id)
    services.answer(author=user, question=question, text=body.text, promote=body.promote)
    return Status(
        201, shaped_question(selectors.question(project_id=project_id, question_id=question_id), user)
    )


@router.post("/projects/{project_id}/questions/{question_id}/faq", response=QuestionOut)
def set_faq(request: HttpRequest, project_id: int, question_id: int, body: FaqIn) -> dict[str, Any]:
    user, access = _access(request, project_id)
    access.require(access.can_review)
    question = selectors.question(project_id=project_id, question_id=question_id)
    return shaped_question(services.set_in_faq(question=question, in_faq=body.in_faq), user)
