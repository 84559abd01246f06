"""The demo's speech course in a real Chromium: a transcription typed in the workspace's text field comes
back with a character diff, and fillers selected in the text with the span widget come back with the missed
one highlighted; both answered through the same widgets as real work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dure.academy.demo import seed_academy
from dure.academy.models import PracticeAnswer, PracticeItem
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.web.test_workspace import _select_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("app_serves_media"),
]


def test_transcription_diff_and_missed_span(browser, live_server, people):
    seed_academy()
    transcribe, fillers = PracticeItem.objects.filter(course__slug="speech-rules").order_by("order")[:2]
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("worker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/academy/courses/speech-rules/")

    first = page.locator(f"form#practice-{transcribe.pk}")
    first.locator("audio").wait_for()  # the recording, played in the page
    first.locator("textarea").fill("삼천 원이요")
    first.get_by_role("button", name="Check my answer").click()
    diff = page.locator(f"form#practice-{transcribe.pk}").get_by_test_id("feedback-diff")
    assert diff.locator("del").first.inner_text().strip() == "(음)"
    # the typed answer stays in the widget to try again (the swapped form mounts its widget a moment later)
    expect(page.locator(f"form#practice-{transcribe.pk} textarea")).to_have_value("삼천 원이요")

    second = f"form#practice-{fillers.pk}"
    page.locator(f"{second} .span-text").wait_for()
    _select_text(page, "음")
    page.locator(f"{second} .entry").first.wait_for()
    page.locator(second).get_by_role("button", name="Check my answer").click()
    spans = page.locator(second).get_by_test_id("feedback-spans")
    assert spans.locator(".hit").inner_text() == "음" and spans.locator(".missed").inner_text() == "어"
    page.locator(second).scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "academy-speech-feedback.png"), full_page=True)
    answers = PracticeAnswer.objects.filter(user=people["worker"]).order_by("pk")
    assert [a.answer for a in answers] == [
        {"text": "삼천 원이요"},
        {"fillers": [{"start": 0, "end": 1, "label": "filler", "text": "음"}]},
    ]
    assert not errors, errors
    context.close()
