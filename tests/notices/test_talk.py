"""Announcements and guideline questions: who may post, answer and read, per role; the asker is notified."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.notices.models import Announcement, Notification, Question
from dure.work.services import add_items

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]


@pytest.fixture(autouse=True)
def _immediate_jobs(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def reviewer_project(project, people):
    from dure.projects.services import set_project_member

    set_project_member(project=project, user=people["reviewer"], role="reviewer")
    return project


ANNOUNCE = {"owner": 201, "manager": 201, "reviewer": 403, "worker": 403, "viewer": 403, "outsider": 404}
ASK = {"owner": 201, "manager": 201, "reviewer": 201, "worker": 201, "viewer": 403, "outsider": 404}
ANSWER = {"owner": 201, "manager": 201, "reviewer": 201, "worker": 403, "viewer": 403, "outsider": 404}
READ = {"owner": 200, "manager": 200, "reviewer": 200, "worker": 200, "viewer": 200, "outsider": 404}


@pytest.mark.parametrize("role", ROLES)
def test_announcements_per_role(reviewer_project, people, api, role):
    project = reviewer_project
    pinned = Announcement.objects.create(project=project, author=people["manager"], title="Box tight please")
    caller = api(role)
    listed = caller.get(f"/projects/{project.pk}/announcements")
    made = caller.post(f"/projects/{project.pk}/announcements", {"title": "New rule", "body": "tight boxes"})
    read = caller.post(f"/projects/{project.pk}/announcements/{pinned.pk}/read")
    if role == "anonymous":
        assert {listed.status_code, made.status_code, read.status_code} == {401}
        return
    assert listed.status_code == READ[role]
    assert made.status_code == ANNOUNCE[role], made.content
    assert read.status_code == (204 if READ[role] == 200 else 404)
    if READ[role] == 200:
        titles = {a["title"]: a["read"] for a in caller.get(f"/projects/{project.pk}/announcements").json()}
        assert titles["Box tight please"] is True


@pytest.mark.parametrize("role", ROLES)
def test_questions_per_role(reviewer_project, people, api, role, django_capture_on_commit_callbacks):
    project = reviewer_project
    theirs = Question.objects.create(project=project, asker=people["worker2"], text="Is a cat a dog?")
    caller = api(role)
    asked = caller.post(f"/projects/{project.pk}/questions", {"text": "What about sarcasm?"})
    with django_capture_on_commit_callbacks(execute=True):
        answered = caller.post(
            f"/projects/{project.pk}/questions/{theirs.pk}/answers", {"text": "No.", "promote": True}
        )
    listed = caller.get(f"/projects/{project.pk}/questions")
    if role == "anonymous":
        assert {asked.status_code, answered.status_code, listed.status_code} == {401}
        return
    assert asked.status_code == ASK[role], asked.content
    assert answered.status_code == ANSWER[role], answered.content
    assert listed.status_code == READ[role]
    if role in {"worker"}:
        # a worker sees their own questions and the FAQ, not other workers' open questions
        assert [q["text"] for q in listed.json()] == ["What about sarcasm?"]
    if role in {"owner", "manager", "reviewer"}:
        assert "Is a cat a dog?" in [q["text"] for q in listed.json()]
        faq = api("worker").get(f"/projects/{project.pk}/faq").json()
        assert [(q["text"], [a["text"] for a in q["answers"]]) for q in faq] == [("Is a cat a dog?", ["No."])]
        [note] = Notification.objects.filter(recipient=people["worker2"])
        assert note.kind == "question_answered" and note.link.endswith(f"#question-{theirs.pk}")


def test_a_question_about_an_item_must_name_an_item_of_the_project(project, api, make_project):
    add_items(project=project, records=[{"text": "a"}])
    item = project.items.get()
    worker = api("worker")
    made = worker.post(f"/projects/{project.pk}/questions", {"text": "This one?", "item_id": item.pk})
    assert made.status_code == 201 and made.json()["item_id"] == item.pk
    elsewhere = make_project(name="Other")
    add_items(project=elsewhere, records=[{"text": "b"}])
    foreign = elsewhere.items.get()
    refused = worker.post(f"/projects/{project.pk}/questions", {"text": "?", "item_id": foreign.pk})
    assert refused.status_code == 404 and refused.json()["code"] == "item_not_found"
    assert worker.post(f"/projects/{project.pk}/questions", {"text": ""}).status_code == 422


def test_faq_can_be_withdrawn(reviewer_project, people, api):
    project = reviewer_project
    question = Question.objects.create(project=project, asker=people["worker"], text="Emoji?", in_faq=True)
    assert (
        api("worker")
        .post(f"/projects/{project.pk}/questions/{question.pk}/faq", {"in_faq": False})
        .status_code
        == 403
    )
    withdrawn = api("reviewer").post(f"/projects/{project.pk}/questions/{question.pk}/faq", {"in_faq": False})
    assert withdrawn.json()["in_faq"] is False
    assert api("worker").get(f"/projects/{project.pk}/faq").json() == []


def test_pages_pin_ask_answer_and_read(reviewer_project, people, django_capture_on_commit_callbacks):
    project = reviewer_project
    headers = {"Accept-Language": "en"}
    manager, worker, reviewer, viewer = Client(), Client(), Client(), Client()
    for client, role in [
        (manager, "manager"),
        (worker, "worker"),
        (reviewer, "reviewer"),
        (viewer, "viewer"),
    ]:
        client.force_login(people[role])
    page = f"/projects/{project.pk}/announcements/"
    assert (
        manager.post(page, {"title": "Holiday bonus", "body": "x2 today"}, headers=headers).status_code == 302
    )
    assert worker.post(page, {"title": "nope"}, headers=headers).status_code == 403
    work = worker.get(f"/projects/{project.pk}/work/", headers=headers)
    assert b"Holiday bonus" in work.content and b"/questions/" in work.content
    assert b"Holiday bonus" in manager.get(f"/projects/{project.pk}/", headers=headers).content
    announcement = Announcement.objects.get()
    done = worker.post(
        f"/projects/{project.pk}/announcements/{announcement.pk}/read/",
        {"next": f"/projects/{project.pk}/work/"},
        headers=headers,
    )
    assert done["Location"] == f"/projects/{project.pk}/work/"
    assert b"Holiday bonus" not in worker.get(f"/projects/{project.pk}/work/", headers=headers).content

    questions = f"/projects/{project.pk}/questions/"
    assert (
        worker.post(questions, {"action": "ask", "text": "Is irony negative?"}, headers=headers).status_code
        == 302
    )
    assert viewer.post(questions, {"action": "ask", "text": "?"}, headers=headers).status_code == 403
    question = Question.objects.get()
    assert b"Is irony negative?" in reviewer.get(questions, headers=headers).content
    answer = {"action": "answer", "question": question.pk, "text": "Only if mocking.", "promote": "1"}
    assert worker.post(questions, answer, headers=headers).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert reviewer.post(questions, answer, headers=headers).status_code == 302
    seen = worker.get(questions, headers=headers)
    assert b"Only if mocking." in seen.content and b"FAQ" in seen.content
    assert Notification.objects.get(recipient=people["worker"]).kind == "question_answered"
    outsider = Client()
    outsider.force_login(people["outsider"])
    assert outsider.get(questions, headers=headers).status_code == 404
