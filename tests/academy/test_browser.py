"""A new worker in a real Chromium: takes a course, fails the exam, waits out the cooldown, passes, and the
project that required the certification hands them an item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dure.academy.models import ExamAttempt
from dure.academy.services import set_requirements
from dure.work.services import add_items
from tests.academy.factories import make_academy
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_worker_learns_fails_passes_and_gets_the_project(browser, live_server, project, people):
    exam = make_academy(cooldown=60)
    add_items(project=project, records=[{"text": "배송이 빨라요"}])
    set_requirements(project=project, certifications=["bbox-basics"], qualification_exam=None)
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("worker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    # Before: the project refuses to hand out items.
    response = context.request.post(
        f"{live_server.url}/api/v1/projects/{project.pk}/assignments/next",
        headers={"X-CSRFToken": _csrf(context)},
    )
    assert response.status == 403 and response.json()["code"] == "certification_required"

    page.goto(f"{live_server.url}/academy/")
    page.get_by_role("link", name="Bounding boxes").click()
    practice = page.locator("form#practice-" + str(exam.course.practice_items.order_by("order").first().pk))
    practice.locator("textarea").fill('[{"x": 25, "y": 12, "width": 50, "height": 40, "label": "car"}]')
    practice.get_by_role("button", name="Check my answer").click()
    feedback = page.get_by_test_id("feedback").first
    assert "IoU" in feedback.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "academy-practice-feedback.png"), full_page=True)

    page.goto(f"{live_server.url}/academy/exams/{exam.pk}/")
    page.get_by_role("button", name="Start the exam").click()
    page.get_by_label("neg").check()
    page.get_by_role("button", name="Hand in").click()
    assert "not passed" in page.get_by_test_id("exam-state").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "academy-exam-failed.png"), full_page=True)

    ExamAttempt.objects.filter(user=people["worker"]).update(
        finished_at=timezone.now() - timedelta(minutes=2)
    )
    page.reload()
    page.get_by_role("button", name="Try again").click()
    page.get_by_label("pos").check()
    page.locator("textarea").fill('[{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]')
    page.get_by_role("button", name="Hand in").click()
    assert "You passed this exam" in page.get_by_test_id("exam-state").inner_text()

    page.goto(f"{live_server.url}/profile/")
    assert "이미지 바운딩박스 기초" in page.get_by_test_id("certification").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "academy-profile.png"), full_page=True)

    response = context.request.post(
        f"{live_server.url}/api/v1/projects/{project.pk}/assignments/next",
        headers={"X-CSRFToken": _csrf(context)},
    )
    assert response.status == 200, response.text()
    assert response.json()["assignment"]["item"]["data"]["text"] == "배송이 빨라요"


def _csrf(context) -> str:
    return next((c["value"] for c in context.cookies() if c["name"] == "csrftoken"), "")
