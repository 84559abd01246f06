"""In Chromium: a reviewer sends an answer back pointing to an FAQ entry; the worker's rework shows the link,
and it leads to the answer."""

from __future__ import annotations

import pytest

from dure.notices.models import Answer, Question
from dure.work.services import add_items, lease_next_item, submit
from tests.conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rejection_points_to_the_faq_and_the_worker_follows_it(browser, live_server, make_project, people):
    project = make_project(name="Sentiment with FAQ")
    entry = Question.objects.create(
        project=project, asker=people["worker2"], text="Is sarcasm positive or negative?", in_faq=True
    )
    Answer.objects.create(question=entry, author=people["manager"], text="Label what the writer means.")
    add_items(project=project, records=[{"text": "Oh great, it broke on day one."}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})

    reviewer = sign_in(browser, live_server, "reviewer", width=1300, height=900)
    errors: list[str] = []
    reviewer.on("pageerror", lambda e: errors.append(str(e)))
    reviewer.goto(f"{live_server.url}/projects/{project.pk}/review/")
    reviewer.locator(".decision").wait_for()
    reviewer.keyboard.press("r")
    reviewer.get_by_label("Point to an FAQ entry").select_option(label="Is sarcasm positive or negative?")
    reviewer.screenshot(path=str(SCREENSHOTS / "faq-1-review.png"), full_page=True)
    reviewer.locator(".reject-form .danger-solid").click()
    reviewer.locator(".ws-state").wait_for()

    worker = sign_in(browser, live_server, "worker", width=1300, height=900)
    worker.on("pageerror", lambda e: errors.append(str(e)))
    worker.goto(f"{live_server.url}/projects/{project.pk}/work/")
    link = worker.locator(".rework a.faq-link")
    link.wait_for()
    assert link.inner_text() == "FAQ: Is sarcasm positive or negative?"
    assert link.get_attribute("href") == f"/projects/{project.pk}/questions/#question-{entry.pk}"
    worker.screenshot(path=str(SCREENSHOTS / "faq-2-rework.png"), full_page=True)
    worker.goto(f"{live_server.url}{link.get_attribute('href')}")
    assert "Label what the writer means." in worker.locator(f"#question-{entry.pk}").inner_text()
    assert not errors
