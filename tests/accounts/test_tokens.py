"""Personal API tokens, sign-up and /me over HTTP."""

from __future__ import annotations

import pytest
from django.test import override_settings

from dure.accounts.models import ApiToken, User
from dure.accounts.services import hash_token, issue_token
from tests.conftest import PASSWORD, Api


def login(username: str, password: str = PASSWORD, **extra: str):
    return Api(None).post("/auth/token", {"username": username, "password": password, **extra})


def bearer(raw: str) -> Api:
    client = Api(None)
    client.headers["Authorization"] = f"Bearer {raw}"
    return client


def test_login_returns_a_token_that_authenticates(people):
    response = login("worker", name="laptop")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("dure_")
    assert body["prefix"] == body["token"][:12]

    me = bearer(body["token"]).get("/me")
    assert me.status_code == 200
    assert me.json()["username"] == "worker"

    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "laptop"
    assert token.last_used_at is not None, "using a token records when"


def test_token_is_stored_only_as_its_hash(people):
    raw = login("worker").json()["token"]
    token = ApiToken.objects.get(user=people["worker"], name="api")
    assert token.key_hash == hash_token(raw)
    assert raw not in token.key_hash
    stored = [value for row in ApiToken.objects.values() for value in row.values() if isinstance(value, str)]
    assert not any(raw in value for value in stored), "the raw token never reaches the database"


@pytest.mark.parametrize(
    ("username", "password"), [("worker", "wrong-password"), ("nobody", PASSWORD), ("WORKER ", PASSWORD)]
)
def test_wrong_login_is_401(people, username, password):
    response = login(username, password)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert not ApiToken.objects.filter(user=people["worker"], name="api").exists()


def test_inactive_user_cannot_log_in_nor_use_old_tokens(people):
    raw = login("worker").json()["token"]
    User.objects.filter(username="worker").update(is_active=False)
    assert login("worker").status_code == 401
    response = bearer(raw).get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_revoked_token_is_401(people):
    body = login("worker").json()
    client = bearer(body["token"])
    assert client.delete(f"/auth/tokens/{body['id']}").status_code == 204
    response = client.get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_revoking_twice_is_harmless(people, api):
    token, _raw = issue_token(user=people["worker"], name="old")
    worker = api("worker")
    assert worker.delete(f"/auth/tokens/{token.pk}").status_code == 204
    assert worker.delete(f"/auth/tokens/{token.pk}").status_code == 204


def test_malformed_authorization_headers_are_401(people):
    for header in ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer dure_x", "Bearer " + "x" * 5000]:
        client = Api(None)
        client.headers["Authorization"] = header
        response = client.get("/me")
        assert response.status_code == 401, header
        assert response.json()["code"] in {"not_authenticated", "invalid_token"}


def test_listing_shows_only_own_active_tokens(people, api):
    mine, _raw = issue_token(user=people["worker"], name="mine")
    revoked, _raw = issue_token(user=people["worker"], name="revoked")
    theirs, _raw = issue_token(user=people["worker2"], name="theirs")
    api("worker").delete(f"/auth/tokens/{revoked.pk}")

    listed = api("worker").get("/auth/tokens").json()
    ids = {t["id"] for t in listed}
    assert mine.pk in ids
    assert revoked.pk not in ids
    assert theirs.pk not in ids
    assert {t["name"] for t in listed} == {"mine", "test"}  # "test" is the client's own token
    assert all(set(t) == {"id", "name", "prefix", "created_at", "last_used_at"} for t in listed)
    assert not any("token" in t or "key_hash" in t for t in listed), "secrets are never listed"


def test_revoking_someone_elses_token_is_404_and_changes_nothing(people, api):
    theirs, raw = issue_token(user=people["worker2"], name="theirs")
    response = api("worker").delete(f"/auth/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "token_not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert bearer(raw).get("/me").status_code == 200


def test_revoking_an_unknown_token_is_404(api):
    assert api("worker").delete("/auth/tokens/999999").status_code == 404


def test_token_endpoints_need_authentication(db):
    assert Api(None).get("/auth/tokens").status_code == 401
    assert Api(None).delete("/auth/tokens/1").status_code == 401


def test_signup_creates_a_user_who_can_log_in(db):
    response = Api(None).post(
        "/auth/signup",
        {
            "username": "새작업자",
            "password": "a-long-enough-passphrase-7",
            "email": "new@example.com",
            "display_name": "새 작업자",
            "locale": "en",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "새작업자"
    assert body["locale"] == "en"
    assert body["memberships"] == []
    user = User.objects.get(username="새작업자")
    assert user.check_password("a-long-enough-passphrase-7")
    assert login("새작업자", "a-long-enough-passphrase-7").status_code == 201


def test_signup_refuses_a_taken_username_case_insensitively(people):
    response = Api(None).post(
        "/auth/signup", {"username": "Worker", "password": "a-long-enough-passphrase-7"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_signup_refuses_weak_passwords(db, password):
    response = Api(None).post("/auth/signup", {"username": "newbie", "password": password})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "weak_password"
    assert body["details"]["password"]
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize(
    ("field", "value"), [("username", "a b"), ("username", "ab"), ("locale", "fr"), ("password", "")]
)
def test_signup_validates_fields(db, field, value):
    body = {"username": "newbie", "password": "a-long-enough-passphrase-7", field: value}
    response = Api(None).post("/auth/signup", body)
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["path"] == f"body.{field}"


def test_signup_can_be_switched_off(db):
    with override_settings(DURE_SIGNUP_OPEN=False):
        response = Api(None).post(
            "/auth/signup", {"username": "newbie", "password": "a-long-enough-passphrase-7"}, lang="ko"
        )
    assert response.status_code == 403
    assert response.json()["code"] == "signup_closed"
    assert "가입" in response.json()["message"]
    assert not User.objects.filter(username="newbie").exists()


def test_me_shows_memberships(people, api, org):
    body = api("manager").get("/me").json()
    assert body["username"] == "manager"
    assert body["display_name"] == "Manager"
    assert body["memberships"] == [{"organization_id": org.pk, "organization": org.name, "role": "manager"}]
    assert api("outsider").get("/me").json()["memberships"][0]["organization"] == "Other Corp"


def test_each_request_gets_its_own_copy_of_the_cached_user(people):
    from dure.accounts.services import user_for_token

    _token, raw = issue_token(user=people["worker"], name="copies")
    first, second = user_for_token(raw), user_for_token(raw)  # the second comes from the process cache
    assert first is not second and first._state is not second._state
    assert first.pk == second.pk == people["worker"].pk and not second._state.adding
    first.display_name = "changed in one request"
    first._state.fields_cache["x"] = 1
    third = user_for_token(raw)
    assert third.display_name == "Worker" and "x" not in third._state.fields_cache


def test_the_bearer_scheme_is_case_insensitive(people):
    _token, raw = issue_token(user=people["worker"], name="case")
    client = Api(None)
    client.headers["Authorization"] = f"bearer {raw}"
    assert client.get("/me").json()["username"] == "worker"
