"""Video frame classification in a real Chromium: the worker steps frame by frame with , and ., classifies
the current frame and a range dragged on the timeline, the reviewer pins a comment to a range and sends it
back, the worker reworks, the reviewer approves; the answer the server stored is the frames chosen."""

from __future__ import annotations

from typing import Any

import pytest

import tests.web.test_workspace as workspace
from dure.projects.models import Project
from dure.work.models import Submission

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("app_serves_media"),
]

SPEC = {
    "inputs": [{"name": "video", "type": "video"}, {"name": "duration", "type": "number", "required": False}],
    "outputs": [{"name": "frames", "type": "frame_labels", "source": "video", "fps": 12,
                 "labels": ["moving", "stopped", "empty"]}],
}  # fmt: skip


def _ready(page: Any) -> None:
    page.wait_for_function(
        "document.querySelector('.frames-stage .stage-hint').textContent.includes('Step with')",
        timeout=20_000,
    )


def _label(page: Any) -> None:
    _ready(page)
    for _ in range(3):
        page.keyboard.press(".")
    assert page.locator(".frame-counter").inner_text().startswith("Frame 3 / 144")
    # the video really moved there (it can seek: /media/ answers byte ranges)
    page.wait_for_function("Math.abs(document.querySelector('.frames-video').currentTime - 3.5 / 12) < 0.01")
    page.keyboard.press("1")
    assert "moving" in page.locator(".frame-counter").inner_text()
    page.keyboard.press("Shift+Period")  # ten frames on
    assert page.locator(".frame-counter").inner_text().startswith("Frame 13 / 144")
    workspace._drag(page, ".frame-track", (0.5, 0.5), (0.75, 0.5))
    assert page.locator(".frame-selection").is_visible()
    page.keyboard.press("2")
    assert page.locator(".frame-bar").count() == 2


def _rework(page: Any) -> None:
    _ready(page)
    page.keyboard.press("End")
    page.keyboard.press("[")
    for _ in range(5):
        page.keyboard.press(",")
    page.keyboard.press("3")


CASE = workspace.Case(
    "video_frames", SPEC, lambda: {"video": workspace._video(), "duration": 12}, _label, _rework, pin=True
)


def test_frames_label_reject_rework_approve(
    browser: Any, live_server: Any, make_project: Any, people: Any
) -> None:
    workspace.test_label_reject_rework_approve(browser, live_server, make_project, people, CASE)
    project = Project.objects.get(name="Workspace video_frames")
    first, second = Submission.objects.filter(slot__item__project=project).order_by("version")
    frames = first.answer["frames"]
    assert frames[0] == {"start_frame": 3, "end_frame": 3, "label": "moving"}
    assert frames[1]["label"] == "stopped" and 70 <= frames[1]["start_frame"] <= 74
    assert 106 <= frames[1]["end_frame"] <= 110
    assert second.answer["frames"][:2] == frames
    assert second.answer["frames"][2] == {"start_frame": 138, "end_frame": 143, "label": "empty"}
