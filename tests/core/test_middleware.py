"""BrowserMiddleware: token API requests skip sessions, CSRF and messages and are answered exactly as before;
browser requests (pages, and the API called with the session cookie) still get sessions and CSRF checks."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from dure.audit.models import AuditEvent

SECURITY_HEADERS = [
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "Cross-Origin-Resource-Policy",
    "Cache-Control",
    "Content-Language",
    "Content-Type",
]


def _signed_in(user, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def test_token_and_session_answers_carry_the_same_security_headers(people, api):
    by_token = api("worker").get("/me")
    by_session = _signed_in(people["worker"]).get("/api/v1/me", headers={"Accept-Language": "en"})
    assert by_token.status_code == by_session.status_code == 200
    assert by_token.json() == by_session.json()
    for header in SECURITY_HEADERS:
        assert by_token[header] == by_session[header], header
    assert by_token["X-Frame-Options"] == "DENY" and by_token["Cache-Control"] == "no-store"
    assert "default-src 'self'" in by_token["Content-Security-Policy"]
    assert "Accept-Language" in by_token["Vary"]
    assert not by_token.cookies  # no session, no CSRF cookie
    # the token request passed sessions by; the session request did not
    assert not hasattr(by_token.wsgi_request, "session")
    assert by_session.wsgi_request.session.get("_auth_user_id") == str(people["worker"].pk)


def test_pages_get_sessions_even_with_a_bearer_header(people, api):
    response = Client().get("/", headers={"Authorization": api("worker").headers["Authorization"]})
    assert hasattr(response.wsgi_request, "session")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_token_errors_are_translated_by_accept_language(people, api):
    english = api("worker").get("/projects/999999", lang="en")
    korean = api("worker").get("/projects/999999", lang="ko")
    assert english.status_code == korean.status_code == 404
    assert english.json()["code"] == korean.json()["code"] == "project_not_found"
    assert korean.json()["message"] != english.json()["message"]
    assert korean["Content-Language"] == "ko"


def test_a_session_api_post_without_a_csrf_token_is_refused(people, project):
    client = _signed_in(people["worker"], enforce_csrf_checks=True)
    path = f"/api/v1/projects/{project.pk}/assignments/next"
    refused = client.post(path, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    secret = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = client.post(path, content_type="application/json", headers={"X-CSRFToken": secret})
    assert accepted.status_code in {200, 204}


def test_a_page_post_without_a_csrf_token_is_refused(people):
    client = _signed_in(people["worker"], enforce_csrf_checks=True)
    assert client.post("/logout/").status_code == 403


def test_a_token_wins_over_a_session_cookie_of_someone_else(people, api):
    client = _signed_in(people["manager"])
    token = api("worker").headers["Authorization"]
    response = client.get("/api/v1/me", headers={"Authorization": token})
    assert response.status_code == 200
    assert response.json()["username"] == "worker"


def test_a_bad_token_is_refused_with_or_without_cookies(people):
    headers = {"Authorization": "Bearer dure_nonsense"}
    assert Client().get("/api/v1/me", headers=headers).json()["code"] == "invalid_token"
    signed_in = _signed_in(people["worker"])
    assert signed_in.get("/api/v1/me", headers=headers).json()["code"] == "invalid_token"


def test_an_unknown_api_path_is_a_json_404_for_posts_too(people, api):
    by_token = api("worker").post("/no/such/thing")
    by_session = _signed_in(people["worker"], enforce_csrf_checks=True).post("/api/v1/no/such/thing")
    for response in (by_token, by_session):
        assert response.status_code == 404
        assert response.json()["code"] == "unknown_endpoint"


def test_token_actions_are_audited_with_actor_and_address(people, api, project):
    response = api("manager").get(f"/projects/{project.pk}/export")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="export", target_id=str(project.pk))
    assert event.actor_id == people["manager"].pk
    assert event.ip == "127.0.0.1"
