"""A manager in a real Chromium: builds an interface with the builder, uploads items, opens the project and
watches the dashboard fill as people work. Screenshots land in VAR_DIR/screenshots."""

from __future__ import annotations

import json

import pytest

from dure.payments.services import deposit
from dure.projects.models import Project, ProjectRole
from dure.projects.services import set_project_member
from dure.work import services
from dure.work.models import Item
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_builds_a_project_uploads_items_opens_it_and_sees_the_dashboard(
    browser,
    live_server,
    people,
    tmp_path,
):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="New project").first.click()

    # settings and a guideline with a live Markdown preview
    page.fill("input[name=name]", "상품평 감성 · Review sentiment")
    page.fill("textarea[name=description]", "Read a product review and label its sentiment.")
    page.fill("textarea[name=guideline]", "# How to label\n\nPick **positive** when the buyer is happy.")
    page.locator("#guideline-preview h1").wait_for()
    assert page.locator("#guideline-preview strong").inner_text() == "positive"

    # the builder: options of the first output, then a second output of another type
    page.fill(
        "textarea[name=out-0-p-options]",
        "positive | Positive | 1\nnegative | Negative | 2\nmixed | Mixed | 3",
    )
    page.get_by_role("button", name="+ Add output").click()
    page.locator("input[name=out-1-name]").wait_for()
    page.select_option("select[name=out-1-type]", "multi_choice")
    page.locator("textarea[name=out-1-p-options]").wait_for()
    # The type change re-renders the output's fields from the server; on a busy machine that answer can come
    # after the next keystrokes and replace them, so let it land first, as a person's pause would.
    page.wait_for_load_state("networkidle")
    page.fill("input[name=out-1-name]", "topics")
    page.fill("textarea[name=out-1-p-options]", "delivery\nquality\nprice")
    page.locator("input[name=out-1-label]").click()  # leaving the box sends the change
    preview = page.locator("#preview")
    preview.locator("label.choice", has_text="Mixed").wait_for()
    preview.locator("label.choice", has_text="delivery").wait_for()
    assert preview.get_by_text("The interface is valid.").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "project-builder-en.png"), full_page=True)

    # a bad interface is refused with the error on its row, and nothing is saved
    page.fill("input[name=out-1-name]", "label")
    page.get_by_role("button", name="Create project").click()
    page.get_by_text("Please fix the marked fields; nothing was saved.").wait_for()
    assert page.get_by_text("field names must be unique").first.is_visible()
    assert not Project.objects.exists()
    page.fill("input[name=out-1-name]", "topics")
    page.fill("textarea[name=out-1-p-options]", "delivery\nquality\nprice")
    page.get_by_role("button", name="Create project").click()
    page.get_by_text("The project was created as a draft.").wait_for()
    project = Project.objects.get()
    assert [o["name"] for o in project.spec["outputs"]] == ["label", "topics"]

    # items from a JSON Lines file
    page.get_by_role("link", name="Add items").first.click()
    lines = "\n".join(
        json.dumps({"external_id": f"r{n}", "data": {"text": text}}, ensure_ascii=False)
        for n, text in enumerate(
            [
                "배송이 빨라요",
                "포장이 엉망이에요",
                "가격 대비 좋아요",
                "Arrived broken.",
                "Great value",
                "그냥 그래요",
            ]
        )
    )
    items_file = tmp_path / "reviews.jsonl"
    items_file.write_text(lines, encoding="utf-8")
    page.set_input_files("input[type=file]", str(items_file))
    page.get_by_role("button", name="Upload items").click()
    page.get_by_text("6 items added, 0 already present were skipped.").wait_for()
    assert page.get_by_role("link", name="배송이 빨라요").is_visible()

    # members by username, then open the project
    page.get_by_role("link", name="Members").click()
    page.fill("input[name=username]", "worker")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("is now a Worker in this project.").wait_for()
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("button", name="Open for work").click()
    page.get_by_text("The project is now “Open”.").wait_for()

    # people work (through the services, as the workspace does), and the dashboard shows it
    project.refresh_from_db()
    set_project_member(project=project, user=people["worker2"], role=ProjectRole.WORKER)
    deposit(project=project, amount=100_000, actor=people["manager"], reference="INV-1")
    reviewer = people["reviewer"]
    for person in (people["worker"], people["worker2"], people["worker"], people["worker2"]):
        assignment = services.lease_next_item(worker=person, project=project)
        assert assignment is not None
        services.submit(
            worker=person, assignment_id=assignment.pk, answer={"label": "positive", "topics": ["delivery"]}
        )
    for n in range(4):
        review = services.lease_next_review(reviewer=reviewer, project=project)
        assert review is not None
        if n == 1:
            services.decide(
                reviewer=reviewer,
                review_id=review.pk,
                decision="reject",
                reasons=["wrong label"],
                comment="포장 불만은 부정입니다",
            )
        else:
            services.decide(reviewer=reviewer, review_id=review.pk, decision="approve")
    page.reload()
    assert page.get_by_test_id("items-done").inner_text() == "3 / 6"
    assert page.get_by_test_id("first-pass").inner_text() == "75%"
    assert page.get_by_text("wrong label").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "project-dashboard-en.png"), full_page=True)

    rejected = Item.objects.get(project=project, slots__state="rejected")
    page.get_by_role("link", name="Items").first.click()
    page.get_by_role("link", name="Rejected, waiting for rework").click()
    page.get_by_role("link", name=rejected.data["text"]).click()
    page.get_by_text("포장 불만은 부정입니다").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "item-history-en.png"), full_page=True)

    page.get_by_role("link", name="Home").click()
    page.screenshot(path=str(SCREENSHOTS / "home-manager-en.png"), full_page=True)
    context.close()

    # the worker's home: rework first, with the button into the workspace
    worker_context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 800})
    worker_page = worker_context.new_page()
    worker_page.goto(f"{live_server.url}/login/")
    worker_page.fill("input[name=username]", rejected.slots.get().worker.username)
    worker_page.fill("input[name=password]", PASSWORD)
    worker_page.locator("form button.primary").click()
    worker_page.wait_for_url(f"{live_server.url}/")
    assert worker_page.get_by_test_id("rework-total").inner_text() == "1"
    assert worker_page.locator(f'a[href="/projects/{project.pk}/work/"]').is_visible()
    worker_page.screenshot(path=str(SCREENSHOTS / "home-worker-ko.png"), full_page=True)
    worker_context.close()
