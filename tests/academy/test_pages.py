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
            f"p{box.pk}-boxes": '[{"x": 30, "y": 10, "width": 50, "height": 40, "label": "car"}]',
        },
    )
    html = answered.content.decode()
    assert (
        'data-testid="feedback"' in html
        and "IoU" in html
        and "shape-expected" in html
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
            f"q{boxes.pk}-boxes": '[{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]',
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
