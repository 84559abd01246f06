"""A worker in a real Chromium: sees what they earned, adds a bank account and requests a payout."""

from __future__ import annotations

import pytest

from dure.payments import services
from dure.payments.models import Payout, PayoutState
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_requests_a_payout_in_the_browser(browser, live_server, make_project, people):
    project = make_project(name="영수증 OCR", price_per_item=4_000, review_price=300)
    services.deposit(project=project, amount=1_000_000, actor=people["manager"])
    add_items(project=project, records=[{"text": f"영수증 {i}"} for i in range(5)])
    for _ in range(5):
        assignment = lease_next_item(worker=people["worker"], project=project)
        submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
        review = lease_next_review(reviewer=people["reviewer"], project=project)
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")

    context = browser.new_context(locale="ko-KR", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("아이디").fill("worker")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="수익", exact=True).click()
    assert page.get_by_test_id("available").inner_text() == "20,000원"
    assert page.get_by_role("button", name="지급 신청").count() == 0  # no bank account yet

    page.get_by_label("은행").fill("국민은행")
    page.get_by_label("계좌번호").fill("123-45-678901")
    page.get_by_label("예금주").fill("박작업")
    page.get_by_role("button", name="저장").click()
    page.get_by_role("button", name="지급 신청").click()

    alert = page.locator(".flash")
    assert "19,340" in alert.inner_text()  # 20,000 - 600 income tax - 60 local income tax
    assert page.get_by_test_id("available").inner_text() == "0원"
    assert page.get_by_role("row").filter(has_text="19,340").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "earnings-ko.png"), full_page=True)

    payout = Payout.objects.get(user=people["worker"])
    assert (payout.gross, payout.net, payout.state) == (20_000, 19_340, PayoutState.REQUESTED)
    assert (payout.bank, payout.holder) == ("국민은행", "박작업")
    context.close()
