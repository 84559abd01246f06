"""The Academy pages: a worker practises with feedback, fails and passes an exam, sees the profile; a manager
marks gold and decides an appeal on the quality page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dure.academy.models import ExamAttempt
from tests.academy.factories import make_academy

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_worker_practises_takes_the_exam_and_sees_the_profile(people):
    exam = make_academy(cooldown=60)
    client = _client(people["worker"])
    assert b"Bounding boxes" in client.get("/academy/").content
    page = client.get("/academy/courses/boxes/")
    assert (
        page.status_code == 200
        and b"<strong>tight</strong>" in page.content
        and b"<script>x()" not in page.content
    )
    practice = exam.course.practice_items.order_by("order")
    box, sign = practice[0], practice[1]
    answered = client.post(
        "/academy/courses/boxes/",
        {
            "practice": box.pk,
            # what the workspace widget keeps in the question's hidden field after a box is drawn
            f"p{box.pk}-answer": '{"boxes": [{"x": 30, "y": 10, "width": 50, "height": 40, "label": "car"}]}',
        },
    )
    html = answered.content.decode()
    assert (
        'data-testid="feedback"' in html
        and "IoU" in html
        and "shape-missed" in html  # IoU 0.43: the expected box was missed
        and "shape-given" in html
    )
    answered = client.post(
        "/academy/courses/boxes/", {"practice": sign.pk, f"p{sign.pk}-text": "서울역 SEOUL"}
    )
    assert "✓ Right" in answered.content.decode()

    client.post(f"/academy/exams/{exam.pk}/start/")
    attempt = ExamAttempt.objects.get(user=people["worker"])
    page = client.get(f"/academy/exams/{exam.pk}/").content.decode()
    assert "Hand in" in page
    client.post(f"/academy/exams/{exam.pk}/attempts/{attempt.pk}/submit/", {})
    page = client.get(f"/academy/exams/{exam.pk}/").content.decode()
    assert "not passed" in page and "You may try again" in page
    ExamAttempt.objects.filter(pk=attempt.pk).update(finished_at=timezone.now() - timedelta(minutes=5))
    client.post(f"/academy/exams/{exam.pk}/start/")
    second = ExamAttempt.objects.get(user=people["worker"], number=2)
    choice, boxes = exam.questions.order_by("order")
    client.post(
        f"/academy/exams/{exam.pk}/attempts/{second.pk}/submit/",
        {
            f"q{choice.pk}-label": "pos",
            f"q{boxes.pk}-answer": '{"boxes": [{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]}',
        },
    )
    assert "You passed this exam" in client.get(f"/academy/exams/{exam.pk}/").content.decode()
    profile = client.get("/profile/").content.decode()
    assert "이미지 바운딩박스 기초" in profile and "Scores over time" in profile


def test_quality_page_is_for_managers(people, project):
    from dure.work.services import add_items

    add_items(project=project, records=[{"text": "a"}])
    item = project.items.get()
    manager = _client(people["manager"])
    page = manager.post(
        f"/projects/{project.pk}/quality/", {"item": item.pk, "answer": '{"label": "pos"}'}, follow=True
    )
    assert "The item is now a gold item." in page.content.decode()
    assert _client(people["worker"]).get(f"/projects/{project.pk}/quality/").status_code == 403
    assert _client(people["outsider"]).get(f"/projects/{project.pk}/quality/").status_code == 404


def test_practice_feedback_draws_expected_beside_given_and_diffs_texts(people):
    from dure.academy.models import Course, PracticeItem

    exam = make_academy()
    course = Course.objects.get(pk=exam.course_id)
    spans = PracticeItem.objects.create(
        course=course, order=5, prompt="Mark the places",
        spec={"inputs": [{"name": "text", "type": "text"}],
              "outputs": [{"name": "places", "type": "spans", "labels": ["LOC"]}]},
        data={"text": "서울에서 부산까지 기차로 갑니다."},
        expected={"places": [{"start": 0, "end": 2, "label": "LOC"}, {"start": 5, "end": 7, "label": "LOC"}]},
    )  # fmt: skip
    client = _client(people["worker"])
    box, sign = exam.course.practice_items.order_by("order")[:2]
    page = client.get("/academy/courses/boxes/").content.decode()
    # every question mounts the workspace widgets, answered through one hidden field; no JSON to type
    assert f'data-academy-question="p{box.pk}-widget"' in page and f'name="p{box.pk}-answer"' in page
    assert "placeholder='[{" not in page and 'id="workspace-strings"' in page and "workspace.js" in page
    missed = client.post("/academy/courses/boxes/", {
        "practice": box.pk,
        f"p{box.pk}-answer": '{"boxes": [{"x": 120, "y": 50, "width": 30, "height": 30, "label": "car"}]}',
    }).content.decode()  # fmt: skip
    assert 'class="shape-missed"' in missed and 'class="shape-given"' in missed and "✗ Not quite" in missed
    typo = client.post("/academy/courses/boxes/", {
        "practice": sign.pk, f"p{sign.pk}-answer": '{"text": "서울 SEOL"}'
    }).content.decode()  # fmt: skip
    assert 'data-testid="feedback-diff"' in typo
    assert "<del>역</del>" in typo and "<del>U</del>" in typo
    found = client.post("/academy/courses/boxes/", {
        "practice": spans.pk, f"p{spans.pk}-answer": '{"places": [{"start": 0, "end": 2, "label": "LOC"}]}'
    }).content.decode()  # fmt: skip
    assert '<span class="hit">서울</span>' in found and '<span class="missed">부산</span>' in found
    broken = client.post(
        "/academy/courses/boxes/", {"practice": box.pk, f"p{box.pk}-answer": "[1, 2"}
    ).content.decode()
    assert "The answer does not match" in broken or "must be an object" in broken
