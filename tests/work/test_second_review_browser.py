"""A 2nd reviewer in a real Chromium: the review workspace says it is a 2nd review; approving makes it final."""

from __future__ import annotations

import pytest

from dure.accounts.models import Role
from dure.accounts.services import set_membership
from dure.payments import services as payments
from dure.payments.models import EntryKind, JournalEntry
from dure.work import services
from dure.work.models import Slot, SlotState
from tests.conftest import SCREENSHOTS, make_user
from tests.web.test_workspace import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_second_reviewer_sees_the_stage_and_approves(browser, live_server, make_project, people, org):
    reviewer2 = make_user("reviewer2")
    set_membership(organization=org, user=reviewer2, role=Role.REVIEWER)
    project = make_project(name="2차 검수", second_review_rate=1.0, price_per_item=100)
    payments.deposit(project=project, amount=10_000, actor=people["manager"])
    services.add_items(project=project, records=[{"text": "배송이 빨라요"}])
    assignment = services.lease_next_item(worker=people["worker"], project=project)
    services.submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = services.lease_next_review(reviewer=people["reviewer"], project=project)
    services.decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    assert Slot.objects.get(project=project).state == SlotState.SECOND_REVIEW

    page = _login(browser, live_server, "reviewer2")
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    badge = page.get_by_test_id("second-review")
    badge.wait_for()
    assert "2nd review" in badge.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-second-stage.png"), full_page=True)
    page.locator("button.approve").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=second-review]')")
    assert Slot.objects.get(project=project).state == SlotState.APPROVED
    assert JournalEntry.objects.filter(kind=EntryKind.APPROVAL).count() == 1
    page.context.close()
