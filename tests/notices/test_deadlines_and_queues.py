"""Rework deadlines near, review queues backing up, FAQ entries linked in rejections, and the email
preferences API, against the real database (and a real SMTP server for the mail)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from dure.notices import mail, services
from dure.notices.models import Episode, Notification, Question
from dure.projects.services import set_project_member
from dure.work.models import Slot, SlotState
from dure.work.services import (
    add_items,
    decide,
    lease_next_item,
    lease_next_review,
    reclaim_expired,
    submit,
)

from .test_email import Inbox, _body, _free_port, _with_email


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free port, as in test_email."""
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    yield handler
    controller.stop()


_texts = itertools.count()
ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider"]


@pytest.fixture(autouse=True)
def _immediate_jobs(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _submitted(project, people, n=1, worker="worker"):
    # distinct texts: an item file repeated is skipped as a duplicate
    add_items(project=project, records=[{"text": f"t{i}-{next(_texts)}"} for i in range(n)])
    for _ in range(n):
        assignment = lease_next_item(worker=people[worker], project=project)
        submit(worker=people[worker], assignment_id=assignment.pk, answer={"label": "pos"})


def _rejected(project, people, capture, reasons=("wrong",)):
    _submitted(project, people)
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    with capture(execute=True):
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="reject", reasons=list(reasons))
    return Slot.objects.get(pk=review.slot_id)


# --- rework deadline --------------------------------------------------------------------------------------


def test_the_rework_deadline_comes_from_the_project_and_is_told_once_when_near(
    make_project, people, api, django_capture_on_commit_callbacks
):
    project = make_project(rework_hours=8)
    before = timezone.now()
    slot = _rejected(project, people, django_capture_on_commit_callbacks)
    assert slot.state == SlotState.REJECTED
    assert timedelta(hours=8) <= slot.expires_at - before < timedelta(hours=8, minutes=1)
    assert services.rework_deadlines() == 0, "a quarter of 8 hours (2 h) is not reached yet"
    Slot.objects.filter(pk=slot.pk).update(expires_at=timezone.now() + timedelta(minutes=90))
    assert services.rework_deadlines() == 1
    assert services.rework_deadlines() == 0, "once per deadline"
    notes = api("worker").get("/notifications", headers={"Accept-Language": "en"}).json()["results"]
    deadline = next(n for n in notes if n["kind"] == "rework_deadline")
    assert deadline["title"].startswith(f"Your rework in {project.name} is due by ")
    assert deadline["link"] == f"/projects/{project.pk}/work/"
    assert deadline["body"] == "After that the item goes to someone else."
    for role in ["reviewer", "manager"]:
        assert not [
            n for n in api(role).get("/notifications").json()["results"] if n["kind"] == "rework_deadline"
        ]


def test_an_abandoned_rework_lease_gets_a_new_deadline_and_a_new_warning(
    make_project, people, django_capture_on_commit_callbacks
):
    project = make_project(rework_hours=4)
    slot = _rejected(project, people, django_capture_on_commit_callbacks)
    Slot.objects.filter(pk=slot.pk).update(expires_at=timezone.now() + timedelta(minutes=30))
    assert services.rework_deadlines() == 1
    rework = lease_next_item(worker=people["worker"], project=project)
    assert rework.rework_round == 1
    Slot.objects.filter(pk=slot.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reclaim_expired(project_id=project.pk) == 1
    slot.refresh_from_db()
    assert slot.state == SlotState.REJECTED and slot.worker_id == people["worker"].pk
    assert timedelta(hours=3, minutes=59) < slot.expires_at - timezone.now() <= timedelta(hours=4)
    Slot.objects.filter(pk=slot.pk).update(expires_at=timezone.now() + timedelta(minutes=20))
    assert services.rework_deadlines() == 1, "a new deadline, a new warning"
    assert Notification.objects.filter(kind="rework_deadline").count() == 2


def test_rework_hours_is_a_project_setting_with_limits(project, api):
    patched = api("manager").patch(f"/projects/{project.pk}", {"rework_hours": 24})
    assert patched.status_code == 200, patched.content
    assert patched.json()["rework_hours"] == 24
    assert api("manager").patch(f"/projects/{project.pk}", {"rework_hours": 0}).status_code == 422
    assert api("worker").patch(f"/projects/{project.pk}", {"rework_hours": 5}).status_code in {403, 404}


# --- review queue backing up ------------------------------------------------------------------------------


def test_a_review_queue_backing_up_is_told_once_per_episode(make_project, people, api, settings):
    settings.DURE = {**settings.DURE, "REVIEW_BACKLOG_COUNT": 2, "REVIEW_BACKLOG_HOURS": 1000}
    project = make_project(name="Queue", overlap=1)
    set_project_member(project=project, user=people["reviewer"], role="reviewer")
    _submitted(project, people, n=2)
    assert services.review_backlog() == 1
    assert services.review_backlog() == 0, "the same episode"
    for role in ["owner", "manager"]:
        [note] = [
            n for n in api(role).get("/notifications").json()["results"] if n["kind"] == "review_backlog"
        ]
        assert note["title"] == "The review queue of Queue is backing up"
        assert note["body"].startswith("2 submissions wait")
        assert note["link"] == f"/projects/{project.pk}/"
    for role in ["reviewer", "worker", "viewer", "outsider"]:
        assert not [
            n for n in api(role).get("/notifications").json()["results"] if n["kind"] == "review_backlog"
        ]
    # One review leaves one waiting: that is half the line, so the episode goes on.
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    assert services.review_backlog() == 0
    assert Episode.objects.get(project=project).open
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    assert services.review_backlog() == 0
    assert not Episode.objects.get(project=project).open, "the queue is empty: the episode is over"
    _submitted(project, people, n=2)
    assert services.review_backlog() == 1, "a new episode"
    assert Notification.objects.filter(kind="review_backlog").count() == 4


def test_a_submission_waiting_too_long_backs_the_queue_up(make_project, people, settings):
    settings.DURE = {**settings.DURE, "REVIEW_BACKLOG_COUNT": 1000, "REVIEW_BACKLOG_HOURS": 6}
    project = make_project(name="Slow")
    _submitted(project, people, n=1)
    assert services.review_backlog() == 0
    Slot.objects.filter(project=project).update(queued_at=timezone.now() - timedelta(hours=7))
    assert services.review_backlog() == 1
    note = Notification.objects.filter(kind="review_backlog").first()
    assert note.data["waiting"] == 1 and note.data["oldest_hours"] >= 7


def test_the_worker_sweep_runs_the_deadline_and_queue_checks(
    make_project, people, settings, django_capture_on_commit_callbacks
):
    from dure.work.management.commands.dure_worker import sweep_once

    settings.DURE = {**settings.DURE, "REVIEW_BACKLOG_COUNT": 1}
    project = make_project(rework_hours=1)
    slot = _rejected(project, people, django_capture_on_commit_callbacks)
    Slot.objects.filter(pk=slot.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    _submitted(project, people, n=1, worker="worker2")
    cache.clear()
    sweep_once()
    assert Notification.objects.filter(kind="rework_deadline", recipient=people["worker"]).count() == 1
    assert Notification.objects.filter(kind="review_backlog").exists()


# --- FAQ entries in rejections ----------------------------------------------------------------------------


def _faq(project, people, text="Do emojis count as positive?", in_faq=True):
    return Question.objects.create(project=project, asker=people["worker2"], text=text, in_faq=in_faq)


def test_a_rejection_links_an_faq_entry_the_worker_sees_in_the_rework_and_the_notification(
    project, people, api, django_capture_on_commit_callbacks
):
    entry = _faq(project, people)
    _rejected(project, people, django_capture_on_commit_callbacks, reasons=["wrong_label", f"faq:{entry.pk}"])
    [note] = api("worker").get("/notifications", headers={"Accept-Language": "en"}).json()["results"]
    assert "see the FAQ: Do emojis count as positive?" in note["body"]
    assert f"faq:{entry.pk}" not in note["body"]
    url = f"/projects/{project.pk}/questions/#question-{entry.pk}"
    assert note["data"]["faq"] == [{"id": entry.pk, "text": entry.text, "url": url}]
    rework = api("worker").post(f"/projects/{project.pk}/assignments/next").json()["assignment"]["rework"]
    assert rework["reasons"] == ["wrong_label", f"faq:{entry.pk}"]
    assert rework["faq"] == [{"id": entry.pk, "text": entry.text, "url": url}]


def test_only_this_projects_faq_entries_can_be_linked(make_project, project, people, api):
    private = _faq(project, people, "not promoted", in_faq=False)
    elsewhere = _faq(make_project(name="Other"), people)
    _submitted(project, people)
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    for reason in [f"faq:{private.pk}", f"faq:{elsewhere.pk}", "faq:nope", "faq:999999"]:
        response = api("reviewer").post(
            f"/reviews/{review.pk}/decision", {"decision": "reject", "reasons": [reason]}
        )
        assert response.status_code == 422, (reason, response.content)
        assert response.json()["code"] == "faq_entry_not_found"
    assert Slot.objects.get(pk=review.slot_id).state == SlotState.IN_REVIEW, "nothing was decided"


def test_the_review_workspace_offers_the_projects_faq(project, people, api):
    from django.test import Client

    set_project_member(project=project, user=people["reviewer"], role="reviewer")
    entry = _faq(project, people)
    _faq(project, people, "a private question", in_faq=False)
    client = Client()
    client.force_login(people["reviewer"])
    page = client.get(f"/projects/{project.pk}/review/").content.decode()
    assert entry.text in page and "a private question" not in page


def test_the_rejection_mail_carries_the_faq_link(project, people, inbox, django_capture_on_commit_callbacks):
    _with_email(people["worker"], "worker@example.com", "en")
    entry = _faq(project, people)
    _rejected(project, people, django_capture_on_commit_callbacks, reasons=[f"faq:{entry.pk}"])
    [(_to, message)] = inbox.messages
    body = _body(message)
    assert f"FAQ: http://127.0.0.1:8000/projects/{project.pk}/questions/#question-{entry.pk}" in body
    assert "see the FAQ: Do emojis count as positive?" in body


def test_a_rework_deadline_mail_is_sent_at_once(
    make_project, people, inbox, django_capture_on_commit_callbacks
):
    _with_email(people["worker"], "worker@example.com", "en")
    project = make_project(rework_hours=2)
    slot = _rejected(project, people, django_capture_on_commit_callbacks)
    inbox.messages.clear()
    Slot.objects.filter(pk=slot.pk).update(expires_at=timezone.now() + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        services.rework_deadlines()
    [(_to, message)] = inbox.messages
    assert message["Subject"].startswith(f"Your rework in {project.name} is due by")


# --- email preferences API --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_and_changes_only_their_own_email_preferences(people, api, role):
    client = api(role)
    got = client.get("/me/notification-preferences")
    assert got.status_code == 200
    assert got.json()["mode"] == "immediate" and got.json()["muted"] == []
    kinds = {k["kind"]: k for k in got.json()["kinds"]}
    assert kinds["rework_deadline"]["email"] and kinds["review_backlog"]["email"]
    changed = client.patch("/me/notification-preferences", {"mode": "digest", "muted": ["payout_paid"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["mode"] == "digest" and changed.json()["muted"] == ["payout_paid"]
    only_mode = client.patch("/me/notification-preferences", {"mode": "off"})
    assert only_mode.json() == {**changed.json(), "mode": "off"}, "what is not sent stays"
    assert mail.preference(people[role].pk).mode == "off"
    others = [name for name in ROLES if name != role]
    assert all(mail.preference(people[name].pk).pk is None for name in others)


def test_bad_preferences_are_refused_with_a_code(people, api):
    client = api("worker")
    bad_mode = client.patch("/me/notification-preferences", {"mode": "hourly"})
    assert bad_mode.status_code == 422 and bad_mode.json()["code"] == "unknown_email_mode"
    bad_kind = client.patch("/me/notification-preferences", {"muted": ["payout_paid", "spam"]})
    assert bad_kind.status_code == 422 and bad_kind.json()["code"] == "unknown_notification_kind"
    assert bad_kind.json()["details"]["kinds"] == ["spam"]
    assert client.get("/me/notification-preferences").json()["muted"] == []
    assert api("anonymous").get("/me/notification-preferences").status_code == 401
    assert api("anonymous").patch("/me/notification-preferences", {"mode": "off"}).status_code == 401


def test_muting_by_api_stops_that_mail(project, people, api, inbox, django_capture_on_commit_callbacks):
    _with_email(people["worker"], "worker@example.com", "en")
    api("worker").patch("/me/notification-preferences", {"muted": ["submission_rejected"]})
    _rejected(project, people, django_capture_on_commit_callbacks)
    assert inbox.messages == []
    assert Notification.objects.filter(kind="submission_rejected").count() == 1, "still in the app"


def test_the_item_history_links_the_faq_entry(project, people, django_capture_on_commit_callbacks):
    from django.test import Client

    entry = _faq(project, people)
    slot = _rejected(project, people, django_capture_on_commit_callbacks, reasons=[f"faq:{entry.pk}"])
    client = Client()
    client.force_login(people["manager"])
    page = client.get(f"/projects/{project.pk}/items/{slot.item_id}/", headers={"Accept-Language": "en"})
    assert (
        f'href="/projects/{project.pk}/questions/#question-{entry.pk}">FAQ #{entry.pk}</a>'
        in page.content.decode()
    )
