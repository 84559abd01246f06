"""In Chromium: a rejection lights the worker's bell and one click on it leads to the rework; a question
asked from the workspace is answered and the answer is seen."""

from __future__ import annotations

import pytest

from dure.projects.services import set_project_member
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bell_counts_a_rejection_and_leads_to_the_rework_then_a_question_is_answered(
    browser, live_server, make_project, people, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    project = make_project(name="Sentiment reviews")
    set_project_member(project=project, user=people["reviewer"], role="reviewer")
    add_items(project=project, records=[{"text": "Great value, would buy again"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "neg"})

    worker = sign_in(browser, live_server, "worker", width=1200, height=800)
    errors: list[str] = []
    worker.on("pageerror", lambda e: errors.append(str(e)))
    assert worker.locator("#bell .count").count() == 0

    review = lease_next_review(reviewer=people["reviewer"], project=project)
    decide(
        reviewer=people["reviewer"], review_id=review.pk, decision="reject", reasons=["The text is positive"]
    )

    # the bell polls every 30 s; the same request, asked for now
    worker.evaluate("document.body.dispatchEvent(new Event('notices-refresh'))")
    worker.locator("#bell .count").wait_for()
    assert worker.locator("#bell .count").inner_text() == "1"
    worker.screenshot(path=str(SCREENSHOTS / "notices-1-bell.png"))

    worker.locator("#bell").click()
    worker.wait_for_url(f"{live_server.url}/notifications/")
    assert "The text is positive" in worker.locator(".notifications").inner_text()
    worker.screenshot(path=str(SCREENSHOTS / "notices-2-list.png"), full_page=True)
    worker.get_by_role(
        "button", name="Your submission in Sentiment reviews was rejected and waits for rework"
    ).click()
    worker.wait_for_url(f"{live_server.url}/projects/{project.pk}/work/")
    worker.locator(".rework").wait_for()
    assert "The text is positive" in worker.locator(".rework").inner_text()
    assert worker.locator("#bell .count").count() == 0
    worker.screenshot(path=str(SCREENSHOTS / "notices-3-rework.png"), full_page=True)

    worker.get_by_role("link", name="Questions about the guideline").click()
    worker.get_by_label("Your question").fill("Is sarcasm negative?")
    worker.get_by_role("button", name="Ask").click()
    assert "Is sarcasm negative?" in worker.locator(".questions").inner_text()

    reviewer = sign_in(browser, live_server, "reviewer", width=1200, height=800)
    reviewer.goto(f"{live_server.url}/projects/{project.pk}/questions/")
    reviewer.get_by_label("Answer").fill("Yes, when it mocks the product.")
    reviewer.get_by_label("Add to the FAQ").check()
    reviewer.get_by_role("button", name="Answer").click()
    reviewer.wait_for_load_state()

    worker.evaluate("document.body.dispatchEvent(new Event('notices-refresh'))")
    worker.locator("#bell .count").wait_for()
    worker.locator("#bell").click()
    worker.get_by_role("button", name="Your question in Sentiment reviews was answered").click()
    worker.wait_for_url(f"{live_server.url}/projects/{project.pk}/questions/*")
    assert "Yes, when it mocks the product." in worker.locator(".faq").inner_text()
    worker.screenshot(path=str(SCREENSHOTS / "notices-4-answer.png"), full_page=True)
    assert errors == []
