"""In Chromium: a manager signs in with a code from their authenticator; an invited person accepts the link."""

from __future__ import annotations

import pyotp
import pytest
from django.utils import timezone

from dure.accounts import provisioning
from dure.accounts.models import Membership, TotpDevice, User
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_signs_in_with_an_authenticator_code(browser, live_server, people):
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=people["manager"], secret=secret, confirmed_at=timezone.now())
    page = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 760}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/login/two-factor/")
    page.get_by_label("Authenticator code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").wait_for()
    assert "wrong" in page.get_by_role("alert").inner_text()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.screenshot(path=str(SCREENSHOTS / "accounts-1-second-step.png"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".who").inner_text() == str(people["manager"])
    assert not errors


def test_a_worker_sets_up_an_authenticator_from_the_profile(browser, live_server, people):
    page = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("worker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.wait_for_url(f"{live_server.url}/settings/two-factor/")
    assert page.locator(".qr svg").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "accounts-2-set-up.png"), full_page=True)
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_test_id("two-factor-state").wait_for()
    assert page.get_by_test_id("two-factor-state").inner_text() == "On"
    assert TotpDevice.objects.get(user=people["worker"]).confirmed_at is not None


def test_an_invited_person_accepts_the_link_in_korean(browser, live_server, org, people):
    _invitation, key = provisioning.invite(
        actor=people["owner"], organization=org, email="jiwoo@example.com", role="reviewer"
    )
    page = browser.new_context(locale="ko-KR", viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/invitations/{key}/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert org.name in page.locator("h1").inner_text()
    page.locator("input[name=username]").fill("jiwoo")
    page.locator("input[name=display_name]").fill("김지우")
    page.locator("input[name=password]").fill("a-long-pass-phrase-7")
    page.locator("input[name=password_again]").fill("a-long-pass-phrase-7")
    page.screenshot(path=str(SCREENSHOTS / "accounts-3-invitation.png"), full_page=True)
    page.locator("form button.primary").click()
    page.wait_for_url(f"{live_server.url}/")
    page.screenshot(path=str(SCREENSHOTS / "accounts-4-joined.png"))
    jiwoo = User.objects.get(username="jiwoo")
    assert jiwoo.locale == "ko"
    assert Membership.objects.get(organization=org, user=jiwoo).role == "reviewer"
    # The link is spent: a second visit gets a page that says so.
    again = browser.new_context(locale="en-US").new_page()
    again.goto(f"{live_server.url}/invitations/{key}/")
    assert again.locator("h1").inner_text() == "This invitation was used already"
    again.screenshot(path=str(SCREENSHOTS / "accounts-5-used.png"))
