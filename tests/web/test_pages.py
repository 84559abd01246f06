"""Server-rendered pages: sign-in, sign-up, the project list and API tokens, per role and per language."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.accounts.models import ApiToken, User
from dure.accounts.services import issue_token
from tests.conftest import PASSWORD


def signed_in(user: User, lang: str = "en") -> Client:
    client = Client(headers={"Accept-Language": lang})
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_pages_need_a_sign_in(db):
    client = Client()
    for path in ["/", "/settings/tokens/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(("lang", "title"), [("ko", "로그인"), ("en", "Sign in")])
def test_sign_in_page_speaks_the_browser_language(db, lang, title):
    response = Client(headers={"Accept-Language": lang}).get("/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert title in page


def test_wrong_password_says_so_and_right_password_signs_in(people):
    client = Client(headers={"Accept-Language": "en"})
    response = client.post("/login/", {"username": "worker", "password": "nope"})
    assert response.status_code == 200
    assert "The username or password is wrong." in response.content.decode()
    response = client.post("/login/", {"username": "worker", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_project_list_shows_only_what_the_person_may_see(make_project, people):
    make_project(name="감성 분류 Sentiment")
    assert "감성 분류 Sentiment" in signed_in(people["worker"]).get("/").content.decode()
    assert "감성 분류 Sentiment" in signed_in(people["manager"]).get("/").content.decode()
    outsider_page = signed_in(people["outsider"]).get("/").content.decode()
    assert "감성 분류 Sentiment" not in outsider_page
    assert "No projects yet" in outsider_page


def test_signup_creates_an_account_and_signs_in(db):
    client = Client(headers={"Accept-Language": "ko"})
    response = client.post(
        "/signup/",
        {
            "username": "newbie",
            "display_name": "새내기",
            "email": "newbie@example.com",
            "password1": "a-long-Passphrase-2026",
            "password2": "a-long-Passphrase-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(username="newbie")
    assert user.display_name == "새내기"
    assert user.locale == "ko"
    assert client.get("/").status_code == 200


def test_signup_refuses_mismatched_passwords_without_creating_anything(db):
    response = Client().post(
        "/signup/",
        {"username": "newbie", "password1": "a-long-Passphrase-2026", "password2": "other-one-2026"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="newbie").exists()


def test_signup_can_be_switched_off(db, settings):
    settings.DURE_SIGNUP_OPEN = False
    assert Client().get("/signup/").status_code == 404


def test_token_is_shown_once_then_only_its_prefix(people):
    client = signed_in(people["worker"])
    response = client.post("/settings/tokens/", {"name": "laptop"})
    page = response.content.decode()
    token = ApiToken.objects.get(user=people["worker"], name="laptop")
    raw = page.split('data-testid="new-token"><code>')[1].split("</code>")[0]
    assert raw.startswith(token.prefix)
    assert token.key_hash not in page
    # The raw token works for the API, and is not shown again.
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/me").json()["username"] == "worker"
    assert raw not in client.get("/settings/tokens/").content.decode()


def test_revoking_a_token_stops_it_and_only_the_owner_can(people):
    token, raw = issue_token(user=people["worker"], name="ci")
    assert signed_in(people["worker2"]).post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/me").status_code == 200, "another person's revoke must not touch the token"

    response = signed_in(people["worker"]).post(f"/settings/tokens/{token.pk}/revoke/", follow=True)
    assert "The token was revoked." in response.content.decode()
    assert api.get("/api/v1/me").status_code == 401


def test_language_switch_is_remembered(people):
    client = signed_in(people["worker"], lang="en")
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="ko">' in client.get("/").content.decode()


def test_the_navigation_reaches_every_area(people):
    page = signed_in(people["worker"]).get("/").content.decode()
    for path in ["/academy/", "/earnings/", "/profile/", "/settings/tokens/"]:
        assert f'href="{path}"' in page
    for path in ["/academy/", "/profile/"]:
        assert signed_in(people["worker"]).get(path).status_code == 200
