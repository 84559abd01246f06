"""A person in a real Chromium: signs in in Korean, sees their projects, switches to English, makes a token."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_in_korean_see_projects_switch_language_and_make_a_token(
    browser, live_server, make_project, people
):
    make_project(name="상품평 감성 분류", description="긍정과 부정을 고릅니다", price_per_item=70)
    context = browser.new_context(locale="ko-KR", viewport={"width": 1100, "height": 700})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    assert page.locator("h1").inner_text() == "로그인"
    page.get_by_label("아이디").fill("worker")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()

    page.wait_for_url(f"{live_server.url}/")
    row = page.get_by_role("row", name="상품평 감성 분류")
    assert "70원" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "home-ko.png"), full_page=True)

    with page.expect_navigation():  # choosing a language submits the form (site.js) and reloads the page
        page.get_by_label("언어").select_option("en")
    assert page.locator("h1").inner_text() == "Projects"

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Token name").fill("my laptop")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("dure_")
    page.screenshot(path=str(SCREENSHOTS / "tokens-en.png"), full_page=True)

    # The token the page showed opens the API.
    response = context.request.get(
        f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert response.json()["username"] == "worker"

    page.get_by_role("row", name="my laptop").get_by_role("button", name="Revoke").click()
    assert page.get_by_text("The token was revoked.").is_visible()
    response = context.request.get(
        f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401
    context.close()
