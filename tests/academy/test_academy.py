"""Courses, practice feedback, exams with attempts and cooldowns, certificates, project requirements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dure.academy.models import ExamAttempt
from dure.academy.services import set_requirements
from dure.work.services import add_items
from tests.academy.factories import make_academy, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


def test_course_lessons_are_sanitised_and_practice_hides_the_answer(api, people):
    make_academy()
    worker = api("worker")
    courses = worker.get("/academy/courses").json()
    assert courses[0]["slug"] == "boxes" and courses[0]["practice_items"] == 2
    course = worker.get("/academy/courses/boxes").json()
    assert "<strong>tight</strong>" in course["lessons"][0]["html"]
    assert "<script>" not in course["lessons"][0]["html"]
    assert all("expected" not in p for p in course["practice_items"])
    assert worker.get("/academy/courses/nope").json()["code"] == "course_not_found"
    assert api("anonymous").get("/academy/courses").status_code == 401


def test_practice_feedback_shows_what_was_right_and_wrong(api, people):
    make_academy()
    worker = api("worker")
    practice = worker.get("/academy/courses/boxes").json()["practice_items"]
    box, sign = practice[0]["id"], practice[1]["id"]
    response = worker.post(
        f"/academy/practice/{box}/answers",
        {"answer": {"boxes": [{"x": 14, "y": 10, "width": 50, "height": 40, "label": "car"}]}},
    )
    assert response.status_code == 200, response.content
    feedback = response.json()
    output = feedback["outputs"][0]
    assert output["metric"] == "iou" and 0.8 < output["value"] < 0.9
    assert output["expected"] == [{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]
    assert feedback["explanation"] == "The car is on the left."
    wrong = worker.post(f"/academy/practice/{sign}/answers", {"answer": {"text": "서울 역 SEOUL"}}).json()
    assert wrong["outputs"][0]["metric"] == "cer" and wrong["outputs"][0]["value"] > 0
    invalid = worker.post(f"/academy/practice/{box}/answers", {"answer": {"boxes": [{"x": -1}]}})
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_input"
    assert worker.get("/academy/courses/boxes").json()["practice_items"][0]["last"]["correct"] is True


def test_exam_fail_cooldown_then_pass_grants_certificate(api, people):
    exam = make_academy(cooldown=600)
    worker = api("worker")
    started = worker.post(f"/academy/exams/{exam.pk}/attempts")
    assert started.status_code == 201
    attempt = started.json()
    assert len(attempt["questions"]) == 2 and "expected" not in attempt["questions"][0]
    # Asking again resumes the attempt instead of starting a second one.
    assert worker.post(f"/academy/exams/{exam.pk}/attempts").json()["id"] == attempt["id"]
    failed = worker.post(f"/academy/attempts/{attempt['id']}/submit", {"answers": wrong_answers(exam)}).json()
    assert failed["state"] == "failed" and failed["score"] == 0.0
    assert failed["results"][1]["outputs"][0]["detail"]["missed"] == [0]
    again = worker.post(f"/academy/attempts/{attempt['id']}/submit", {"answers": right_answers(exam)})
    assert again.status_code == 409 and again.json()["code"] == "attempt_closed"

    cooldown = worker.post(f"/academy/exams/{exam.pk}/attempts")
    assert cooldown.status_code == 409
    body = cooldown.json()
    assert body["code"] == "exam_cooldown" and "next_attempt_at" in body["details"]
    assert body["message"].startswith("Wait")

    ExamAttempt.objects.filter(pk=attempt["id"]).update(finished_at=timezone.now() - timedelta(seconds=601))
    second = worker.post(f"/academy/exams/{exam.pk}/attempts").json()
    assert second["number"] == 2
    passed = worker.post(f"/academy/attempts/{second['id']}/submit", {"answers": right_answers(exam)}).json()
    assert passed["state"] == "passed" and passed["score"] == 1.0
    assert [c["slug"] for c in worker.get("/me/certifications").json()] == ["bbox-basics"]
    assert worker.post(f"/academy/exams/{exam.pk}/attempts").json()["code"] == "exam_already_passed"
    # Someone else's attempt is not found.
    assert api("worker2").post(f"/academy/attempts/{second['id']}/submit", {"answers": {}}).status_code == 404


def test_three_attempts_at_most_and_timeouts_fail(api, people):
    exam = make_academy(cooldown=0, time_limit=60)
    worker = api("worker")
    for number in range(1, 4):
        attempt = worker.post(f"/academy/exams/{exam.pk}/attempts").json()
        assert attempt["number"] == number
        if number == 3:
            # Too late: the right answers do not count any more.
            ExamAttempt.objects.filter(pk=attempt["id"]).update(
                deadline=timezone.now() - timedelta(minutes=5)
            )
            late = worker.post(
                f"/academy/attempts/{attempt['id']}/submit", {"answers": right_answers(exam)}
            ).json()
            assert late["state"] == "failed" and late["timed_out"] is True
        else:
            worker.post(f"/academy/attempts/{attempt['id']}/submit", {"answers": wrong_answers(exam)})
    exhausted = worker.post(f"/academy/exams/{exam.pk}/attempts")
    assert exhausted.status_code == 409 and exhausted.json()["code"] == "exam_attempts_exhausted"


def test_project_requirements_hold_dispatch_until_certified_and_qualified(api, people, project):
    exam = make_academy(cooldown=0)
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    manager, worker = api("manager"), api("worker")
    qualification = manager.post(
        f"/projects/{project.pk}/qualification-exams",
        {
            "title": "Sentiment test",
            "pass_mark": 1.0,
            "questions": [{"prompt": "?", "data": {"text": "최고"}, "expected": {"label": "pos"}}],
        },
    )
    assert qualification.status_code == 201, qualification.content
    bad = manager.post(
        f"/projects/{project.pk}/qualification-exams",
        {"title": "Broken", "questions": [{"data": {"text": "x"}, "expected": {"label": "maybe"}}]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_exam"
    response = manager.call(
        "put",
        f"/projects/{project.pk}/requirements",
        {"certifications": ["bbox-basics"], "qualification_exam": qualification.json()["id"]},
    )
    assert response.status_code == 200, response.content

    blocked = worker.post(f"/projects/{project.pk}/assignments/next")
    assert blocked.status_code == 403 and blocked.json()["code"] == "certification_required"
    assert blocked.json()["details"]["missing"][0]["slug"] == "bbox-basics"
    assert worker.get(f"/projects/{project.pk}/requirements").json()["you"]["eligible"] is False

    attempt = worker.post(f"/academy/exams/{exam.pk}/attempts").json()
    worker.post(f"/academy/attempts/{attempt['id']}/submit", {"answers": right_answers(exam)})
    blocked = worker.post(f"/projects/{project.pk}/assignments/next")
    assert blocked.json()["code"] == "qualification_required"

    qualification_id = qualification.json()["id"]
    attempt = worker.post(f"/academy/exams/{qualification_id}/attempts").json()
    question = attempt["questions"][0]["id"]
    assert worker.post(
        f"/academy/attempts/{attempt['id']}/submit", {"answers": {str(question): {"label": "pos"}}}
    ).json()["passed"]
    assert worker.post(f"/projects/{project.pk}/assignments/next").status_code == 200
    # The qualification test of a project is invisible outside it.
    assert api("outsider").get(f"/academy/exams/{qualification_id}").status_code == 404


def test_requirements_refuse_unknown_certifications_and_foreign_exams(people, project, make_project):
    from dure.academy.services import create_qualification_exam
    from dure.core.errors import DureError

    other = make_project(name="Other")
    exam = create_qualification_exam(
        project=other, title="t", questions=[{"data": {"text": "a"}, "expected": {"label": "pos"}}]
    )
    with pytest.raises(DureError) as error:
        set_requirements(project=project, certifications=["nope"], qualification_exam=None)
    assert error.value.code == "certification_not_found"
    with pytest.raises(DureError) as error:
        set_requirements(project=project, certifications=[], qualification_exam=exam.pk)
    assert error.value.code == "exam_not_found"


ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_roles_for_academy_endpoints(api, people, project, role):
    exam = make_academy()
    client = api(role)
    signed_in = role != "anonymous"
    manages = role in {"owner", "manager"}
    in_project = role in {"owner", "manager", "reviewer", "worker", "viewer"}
    practice = client.get("/academy/courses/boxes")
    assert practice.status_code == (200 if signed_in else 401)
    expected = {
        "get /academy/courses": 200 if signed_in else 401,
        f"get /academy/exams/{exam.pk}": 200 if signed_in else 401,
        "get /me/certifications": 200 if signed_in else 401,
        f"get /projects/{project.pk}/requirements": 200 if in_project else (401 if not signed_in else 404),
        f"put /projects/{project.pk}/requirements": 200
        if manages
        else (401 if not signed_in else 404 if role == "outsider" else 403),
        f"post /projects/{project.pk}/qualification-exams": 201
        if manages
        else (401 if not signed_in else 404 if role == "outsider" else 403),
        f"post /academy/exams/{exam.pk}/attempts": 201 if signed_in else 401,
    }
    bodies = {
        "put": {"certifications": [], "qualification_exam": None},
        "post": {"title": "q", "questions": [{"data": {"text": "a"}, "expected": {"label": "pos"}}]},
    }
    for key, status in expected.items():
        method, path = key.split(" ", 1)
        response = (
            client.get(path)
            if method == "get"
            else client.call(
                method, path, bodies.get(method) if "qualification" in path or method == "put" else None
            )
        )
        assert response.status_code == status, (role, key, response.content[:200])
        if status >= 400:
            assert response.json()["code"]
    if signed_in:
        item = practice.json()["practice_items"][1]["id"]
        assert client.post(f"/academy/practice/{item}/answers", {"answer": {"text": "서울역 SEOUL"}}).json()[
            "correct"
        ]
    else:
        assert client.post("/academy/practice/1/answers", {"answer": {}}).status_code == 401
