"""In Chromium: a worker sees a recommended project with the reason it fits them, opens it and joins;
a manager finds an opted-in worker in talent search and invites them, and the worker accepts."""

from __future__ import annotations

import re

import pytest

from dure.matching import services
from dure.projects.models import ProjectVisibility
from dure.projects.services import create_project
from dure.work.services import add_items
from tests.conftest import SCREENSHOTS, make_user, sign_in
from tests.matching.conftest import IMAGE, OCR_SPEC, history_project, refresh_all, simulate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_opens_a_recommended_project_and_a_manager_invites_found_talent(
    browser, live_server, org, people, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    history = history_project(org, people["owner"], "ocr", "Receipts, last month")
    simulate(project=history, worker=people["worker"], reviewer=people["reviewer"], approved=12, seconds=30)
    seeker = make_user("seeker")
    simulate(project=history, worker=seeker, reviewer=people["reviewer"], approved=9, rejected=1, seconds=45)
    services.set_talent_profile(user=seeker, opted_in=True, headline="영수증 OCR 경험 많음")
    receipts = create_project(
        organization=org, actor=people["manager"], name="영수증 OCR 2차", spec=OCR_SPEC, price_per_item=250,
        visibility=ProjectVisibility.PUBLIC, description="Type the total of each receipt.",
    )  # fmt: skip
    add_items(project=receipts, records=[{**IMAGE, "n": n} for n in range(5)])
    receipts.status = "open"
    receipts.save()
    secret = create_project(
        organization=org, actor=people["manager"], name="Confidential invoices", spec=OCR_SPEC
    )
    add_items(project=secret, records=[{**IMAGE, "n": 99}])
    secret.status = "open"
    secret.save()
    refresh_all()

    worker = sign_in(browser, live_server, "worker")
    errors: list[str] = []
    worker.on("pageerror", lambda e: errors.append(str(e)))
    home_card = worker.locator("[data-testid=recommendation]", has_text="영수증 OCR 2차")
    home_card.wait_for()
    assert "Confidential invoices" not in worker.content()
    worker.screenshot(path=str(SCREENSHOTS / "matching-1-home.png"), full_page=True)
    worker.get_by_role("link", name="Recommended", exact=True).click()
    worker.wait_for_url(f"{live_server.url}/matching/")
    card = worker.locator("[data-testid=recommendation]", has_text="영수증 OCR 2차").first
    assert re.search(r"top \d+% for OCR transcription", card.inner_text())
    assert "250" in card.inner_text() and "per item" in card.inner_text()  # pay and time up front
    worker.screenshot(path=str(SCREENSHOTS / "matching-2-recommended.png"), full_page=True)
    card.get_by_role("link", name="영수증 OCR 2차").click()
    worker.wait_for_url(f"{live_server.url}/matching/projects/{receipts.pk}/")
    assert "OCR transcription" in worker.locator(".reasons").inner_text()
    worker.screenshot(path=str(SCREENSHOTS / "matching-3-project.png"), full_page=True)
    worker.get_by_role("button", name="Join and start").click()
    worker.wait_for_url(f"{live_server.url}/projects/{receipts.pk}/work/")
    worker.wait_for_load_state("networkidle")
    worker.screenshot(path=str(SCREENSHOTS / "matching-4-workspace.png"))

    manager = sign_in(browser, live_server, "manager")
    manager.goto(f"{live_server.url}/matching/")
    manager.get_by_role("link", name="Talent search").click()
    manager.wait_for_url(f"{live_server.url}/matching/talent/")
    manager.get_by_label("Rank for project").select_option(label="Confidential invoices")
    manager.get_by_label("Quality at least (%)").fill("80")
    manager.get_by_role("button", name="Search").click()
    row = manager.locator("[data-testid=talent][data-user=seeker]")
    row.wait_for()
    assert "영수증 OCR 경험 많음" in row.inner_text()
    assert manager.locator("[data-testid=talent][data-user=worker]").count() == 0  # never opted in
    manager.screenshot(path=str(SCREENSHOTS / "matching-5-talent.png"), full_page=True)
    row.get_by_role("button", name="Invite").click()
    manager.locator(".flash").first.wait_for()
    assert "Seeker was invited to Confidential invoices" in manager.content()
    assert "Waiting for an answer" in manager.locator("[data-testid=sent-invitation]").inner_text()
    manager.screenshot(path=str(SCREENSHOTS / "matching-6-invited.png"), full_page=True)

    invited = sign_in(browser, live_server, "seeker")
    invited.goto(f"{live_server.url}/matching/")
    invitation = invited.locator("[data-testid=invitation]")
    assert "Confidential invoices" in invitation.inner_text()
    # the invitation, and "a project that matches you opened" for 영수증 OCR 2차 (they are strong at OCR)
    assert invited.locator("#bell .count").inner_text() == "2"
    invited.screenshot(path=str(SCREENSHOTS / "matching-7-invitation.png"), full_page=True)
    invitation.get_by_role("button", name="Accept").click()
    invited.wait_for_url(f"{live_server.url}/projects/{secret.pk}/work/")
    assert not errors, errors
