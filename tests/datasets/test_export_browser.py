"""The export form in a real Chromium: pick a worker level, start the export, download the quality summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dure.projects.models import Project
from dure.quality.models import Level
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.datasets.test_export_filters import labelled_by_two_workers


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_exports_the_work_of_one_level(
    browser: Any, live_server: Any, project: Project, people: dict[str, Any], immediate_tasks: None,
    run_import: Any, tmp_path: Path,
) -> None:  # fmt: skip
    Level.objects.update_or_create(rank=1, defaults={"name": "Silver", "min_approved": 2})
    Level.objects.update_or_create(rank=2, defaults={"name": "Gold", "min_approved": 50})
    labelled_by_two_workers(project, people, run_import)  # worker: two answers (Silver), worker2: one
    context = browser.new_context(
        locale="en-US", viewport={"width": 1200, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/projects/{project.pk}/datasets/")
    export_form = page.locator("form", has=page.get_by_role("button", name="Start export"))
    export_form.get_by_label("Format").select_option("jsonl")
    export_form.get_by_label("Answered by workers at level").select_option(label="Silver (1) or higher")
    export_form.get_by_role("button", name="Start export").click()
    summary_link = page.get_by_role("link", name="Quality summary").first
    summary_link.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "datasets-export-worker-level.png"), full_page=True)
    with page.expect_download() as download:
        summary_link.click()
    summary = json.loads(Path(download.value.path()).read_text())
    assert summary["items"] == 2 and summary["workers"] == 1
    assert summary["filters"] == {"state": "approved", "worker_level": 1}
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    assert len(Path(download.value.path()).read_text().splitlines()) == 2
    context.close()
