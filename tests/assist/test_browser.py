"""In a real Chromium: a worker sees the OCR suggestion on a rendered invoice, keeps it and submits; the
manager's assistance page shows the suggestion was kept; a reviewer sees why a submission was flagged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from dure.assist import services
from dure.assist.models import SubmissionAssist
from dure.work.models import Slot
from dure.work.services import add_items
from tests.assist.conftest import OCR_SPEC, text_image
from tests.conftest import SCREENSHOTS
from tests.web.test_workspace import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"assist-{name}.png"), full_page=True)


def test_worker_accepts_an_ocr_suggestion_and_the_manager_sees_it(browser, live_server, make_project, people):
    project = make_project(spec=OCR_SPEC, name="Receipts OCR")
    relative = f"projects/{project.pk}/assist-test/invoice.png"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text_image([("Invoice number 4711", False), ("Total due 52 EUR", False)]))
    add_items(project=project, records=[{"image": relative}])
    services.configure(project=project, backend="ocr")
    job = services.start_prelabel_job(project=project, actor=people["manager"])
    assert services.run_job(job_id=job.pk).state == "succeeded"

    page = _login(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    banner = page.get_by_test_id("suggestion")
    banner.wait_for()
    assert "OCR" in banner.inner_text()
    # the OCR lines are already in the answer, ready to check
    entries = page.locator("[data-field=lines] .entries li")
    entries.first.wait_for()
    assert entries.count() >= 2
    texts = [
        v.lower()
        for v in page.locator(
            "[data-field=lines] .entries input, [data-field=lines] .entries textarea"
        ).evaluate_all("els => els.map(e => e.value)")
    ]
    assert any("4711" in v for v in texts) and any("total" in v for v in texts)
    _shot(page, "suggestion")
    page.get_by_test_id("accept-suggestion").click()
    assert "Suggestion kept" in banner.inner_text()
    page.get_by_role("button", name="Submit").click()
    page.locator(".ws-state").wait_for()
    _shot(page, "submitted")

    record = SubmissionAssist.objects.get()
    assert record.suggestion_shown and record.suggestion_backend == "ocr" and record.similarity == 1.0
    assert Slot.objects.get(project=project).state == "submitted"

    manager = _login(browser, live_server, "manager")
    manager.goto(f"{live_server.url}/projects/{project.pk}/assist/")
    assert manager.get_by_test_id("changed-share").inner_text() == "0%"
    assert "s" in manager.get_by_test_id("median-with").inner_text()
    _shot(manager, "manager-page")

    # the reviewer sees why a flagged submission comes first
    SubmissionAssist.objects.filter(pk=record.pk).update(
        flag_score=0.8,
        flags=[{"code": "unusually_fast", "score": 0.8, "seconds": 2.0, "usual_seconds": 41.0}],
    )
    reviewer = _login(browser, live_server, "manager")
    reviewer.goto(f"{live_server.url}/projects/{project.pk}/review/")
    flags = reviewer.get_by_test_id("assist-flags")
    flags.wait_for()
    assert "usually takes 41 s" in flags.inner_text() and "80" in flags.inner_text()
    _shot(reviewer, "review-flags")
