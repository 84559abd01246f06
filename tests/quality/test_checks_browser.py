"""The workspace shows what the automatic checks refused, next to the form, and keeps the lease."""

from __future__ import annotations

import hashlib

import pytest

from dure.work import services
from dure.work.models import Slot, SlotState, Submission
from tests.conftest import SCREENSHOTS
from tests.web.test_workspace import _login, _wav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPEC = {
    "inputs": [{"name": "prompt", "type": "prompt"}],
    "outputs": [{"name": "recording", "type": "file_upload", "accept": ["audio/*"], "max_bytes": 2_000_000}],
}


def test_a_duplicate_recording_is_refused_and_listed_above_the_item(
    browser, live_server, make_project, people
):
    project = make_project(name="Voices", spec=SPEC)
    services.add_items(project=project, records=[{"prompt": "오늘 날씨가 좋네요."}, {"prompt": "내일 봐요."}])
    recording = _wav("duplicate", 1.5)
    digest = hashlib.sha256(recording.read_bytes()).hexdigest()
    # somebody else already submitted this very recording for the other item
    other = services.lease_next_item(worker=people["worker2"], project=project)
    assert other is not None
    path = f"uploads/{project.pk}/{other.pk}/{digest}.wav"
    services.submit(worker=people["worker2"], assignment_id=other.pk, answer={"recording": [{"path": path}]})

    page = _login(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()
    page.locator("input[type=file]").set_input_files(str(recording))
    page.locator(".upload-message.ok, .upload-message.error").wait_for()
    page.get_by_role("button", name="Submit").click()
    problems = page.get_by_test_id("check-problems")
    problems.wait_for()
    assert "already submitted in this project" in problems.inner_text()
    assert "recording[0]" in problems.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workspace-check-problems.png"), full_page=True)
    # nothing was written for this worker; the slot is still theirs to fix
    assert Submission.objects.filter(worker=people["worker"]).count() == 0
    assert Slot.objects.get(project=project, worker=people["worker"]).state == SlotState.LEASED
    page.context.close()
