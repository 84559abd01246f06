"""The quality page's agreement section and the adjudication page: per role, without JavaScript (forms post
and redirect), with htmx (the panel is swapped), and in a real Chromium clicking like a senior reviewer."""

from __future__ import annotations

import pytest

from dure.quality.models import AdjudicationState, AggregatedAnswer
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.quality.test_adjudication import _item, _senior, split  # noqa: F401 (fixture)
from tests.web.test_pages import signed_in

ROLES = ["owner", "manager", "reviewer", "senior", "worker", "viewer", "outsider"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(split, people, role):  # noqa: F811
    if role == "senior":
        _senior(people)
    client = signed_in(people["reviewer" if role == "senior" else role])
    refused = 404 if role == "outsider" else 403
    quality = client.get(f"/projects/{split.pk}/quality/")
    assert quality.status_code == (200 if role in {"owner", "manager"} else refused)
    if quality.status_code == 200:
        body = quality.content.decode()
        assert "Agreement between workers" in body
        assert "krippendorff_alpha_nominal" in body
        assert "Adjudication: 1 item waits for a senior reviewer" in body
    page = client.get(f"/projects/{split.pk}/quality/adjudication/")
    assert page.status_code == (200 if role in {"owner", "manager", "senior"} else refused)


@pytest.mark.django_db
def test_adjudication_without_javascript(split, people):  # noqa: F811
    client = signed_in(people["manager"])
    url = f"/projects/{split.pk}/quality/adjudication/"
    assert "Take the next item" in client.get(url).content.decode()
    taken = client.post(url, {"action": "next"})
    assert taken.status_code == 302
    page = client.get(url).content.decode()
    assert "Keep this answer" in page and f"#{_item(split, 2).pk}" in page
    bad = client.post(url, {"action": "decide", "item": _item(split, 2).pk, "answer": "not json"})
    assert bad.status_code == 400 and "does not match" in bad.content.decode()
    done = client.post(url, {"action": "decide", "item": _item(split, 2).pk, "answer": '{"label": "neg"}'})
    assert done.status_code == 302
    row = AggregatedAnswer.objects.get(item=_item(split, 2))
    assert row.state == AdjudicationState.DONE and row.final_answer == {"label": "neg"}
    assert "Nothing to adjudicate" in client.get(url).content.decode()


@pytest.mark.django_db
def test_htmx_swaps_the_panel_and_release_puts_it_back(split, people):  # noqa: F811
    client = signed_in(people["manager"])
    url = f"/projects/{split.pk}/quality/adjudication/"
    panel = client.post(url, {"action": "next"}, headers={"HX-Request": "true"})
    assert panel.status_code == 200
    body = panel.content.decode()
    assert body.startswith('<div id="adjudication-panel"') and "<html" not in body
    released = client.post(
        url, {"action": "release", "item": _item(split, 2).pk}, headers={"HX-Request": "true"}
    )
    assert "Take the next item" in released.content.decode()
    assert AggregatedAnswer.objects.get(item=_item(split, 2)).adjudicator_id is None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_senior_keeps_a_workers_answer_in_the_browser(browser, live_server, split, people):  # noqa: F811
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/projects/{split.pk}/quality/")
    page.get_by_role("link", name="Adjudication: 1 item waits for a senior reviewer").click()
    page.get_by_role("button", name="Take the next item").click()
    page.get_by_role("button", name="Keep this answer").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "quality-adjudication.png"), full_page=True)
    # the worker whose answer differs from the aggregate is the one to keep: its cell is highlighted
    columns = page.locator("table.side-by-side thead th")
    differing = page.locator("table.side-by-side tbody td.differs")
    assert differing.count() == 1
    index = (
        page.locator("table.side-by-side tbody tr")
        .first.locator("td")
        .evaluate_all("cells => cells.findIndex(c => c.classList.contains('differs'))")
    )
    assert columns.count() == 2 + 3
    # body cells are [aggregate, worker…]; the footer has an empty cell under the output names too
    page.locator("table.side-by-side tfoot td").nth(index + 1).get_by_role(
        "button", name="Keep this answer"
    ).click()
    page.get_by_text("The final answer is saved.").wait_for()
    page.get_by_text("Nothing to adjudicate").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "quality-adjudication-done.png"), full_page=True)
    page.goto(f"{live_server.url}/projects/{split.pk}/quality/")
    page.locator("#agreement").screenshot(path=str(SCREENSHOTS / "quality-agreement.png"))
    assert AggregatedAnswer.objects.get(item=_item(split, 2)).final_answer == {"label": "neg"}
    context.close()
