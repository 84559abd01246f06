"""A new worker in a real Chromium: takes a course, fails the exam, waits out the cooldown, passes, and the
project that required the certification hands them an item."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw

from dure.academy.models import ExamAttempt
from dure.academy.services import set_requirements
from dure.work.services import add_items
from tests.academy.factories import make_academy
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_worker_learns_fails_passes_and_gets_the_project(browser, live_server, project, people):
    exam = make_academy(cooldown=60)
    _street(Path(settings.MEDIA_ROOT))
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
    # The practice box is drawn on the picture with the workspace's own box tool, not typed as JSON.
    selector = "form#practice-" + str(exam.course.practice_items.order_by("order").first().pk)
    practice = page.locator(selector)
    practice.locator(".stage-canvas img").wait_for()
    assert practice.locator("textarea").count() == 0
    _drag(page, f"{selector} .stage-canvas", (0.55, 0.2), (0.85, 0.7))
    practice.locator(".entry").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "academy-practice-drawn.png"), full_page=True)
    practice.get_by_role("button", name="Check my answer").click()
    feedback = page.locator(selector).get_by_test_id("feedback")
    assert "IoU" in feedback.inner_text() and "missed 1" in feedback.inner_text()
    overlay = feedback.get_by_test_id("feedback-overlay")
    assert (
        overlay.locator("rect.shape-missed").count() == 1 and overlay.locator("rect.shape-given").count() == 1
    )
    page.locator(selector).screenshot(path=str(SCREENSHOTS / "academy-practice-missed.png"))
    # the answer stays in the widget to try again, and is fixed there
    page.locator(f"{selector} .entry").first.wait_for()
    page.locator(f"{selector} .entry button[aria-label=Delete]").first.click()
    _drag(page, f"{selector} .stage-canvas", (0.05, 0.1), (0.3, 0.5))
    page.locator(selector).get_by_role("button", name="Check my answer").click()
    page.locator(f"{selector} .feedback.right").wait_for()
    page.locator(selector).screenshot(path=str(SCREENSHOTS / "academy-practice-feedback.png"))

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
    page.locator(".stage-canvas img").first.wait_for()
    page.wait_for_timeout(300)
    _drag(page, ".stage-canvas", (0.05, 0.1), (0.3, 0.5))
    page.screenshot(path=str(SCREENSHOTS / "academy-exam-drawn.png"), full_page=True)
    page.locator(".entry").first.wait_for()
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


def _drag(page, selector: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    box = page.locator(selector).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=8)
    page.mouse.up()


def _street(media_root: Path) -> None:
    """The practice picture, 200 by 100: a grey road and a red car where the expected box is."""
    path = media_root / "demo" / "street.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", (200, 100), "#cbd5e1")
    ImageDraw.Draw(picture).rectangle([10, 10, 60, 50], fill="#dc2626")
    picture.save(path)


def _csrf(context) -> str:
    return next((c["value"] for c in context.cookies() if c["name"] == "csrftoken"), "")
