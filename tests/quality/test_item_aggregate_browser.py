"""The item page's aggregated answer in a real Chromium: a manager follows the item from the adjudication
queue, sees the aggregate with its method and confidence, keeps a worker's answer, and finds the final
answer on the item page."""

from __future__ import annotations

import pytest

from dure.quality.models import AggregatedAnswer
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.quality.test_adjudication import _item, split  # noqa: F401 (fixture)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_reads_the_aggregate_on_the_item_page(browser, live_server, split, people):  # noqa: F811
    item_id = _item(split, 2).pk
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/projects/{split.pk}/quality/adjudication/")
    page.get_by_role("button", name="Take the next item").click()
    page.get_by_role("link", name=f"#{item_id}").click()
    page.wait_for_url(f"**/items/{item_id}/")
    section = page.get_by_test_id("aggregate")
    section.wait_for()
    assert "Aggregated answer" in section.inner_text()
    assert "Aggregated by Majority vote (weighted by skill) with confidence 67%." in section.inner_text()
    assert "Waiting for a senior reviewer" in section.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "item-aggregate.png"))

    page.go_back()
    # keep the worker who disagreed with the aggregate (the highlighted cell), so the answer changes
    index = (
        page.locator("table.side-by-side tbody tr")
        .first.locator("td")
        .evaluate_all("cells => cells.findIndex(c => c.classList.contains('differs'))")
    )
    footer = page.locator("table.side-by-side tfoot td").nth(index + 1)
    footer.get_by_role("button", name="Keep this answer").click()
    page.get_by_text("The final answer is saved.").wait_for()
    assert AggregatedAnswer.objects.get(item_id=item_id).final_answer == {"label": "neg"}
    page.goto(f"{live_server.url}/projects/{split.pk}/items/")
    page.get_by_role("link", name=str(item_id), exact=True).click()
    section = page.get_by_test_id("aggregate")
    section.wait_for()
    text = section.inner_text()
    assert "Final answer" in text and "Adjudicated" in text and "A senior reviewer changed it." in text
    assert '"neg"' in page.get_by_test_id("final-answer").inner_text()
    page.get_by_text("The aggregate before adjudication").click()
    assert '"pos"' in section.locator("details pre").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "item-aggregate-adjudicated.png"), full_page=True)
    context.close()
