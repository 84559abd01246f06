"""Every API error is one JSON shape, in the caller's language; a malformed request is never a 500."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from dure.work.models import Assignment
from dure.work.services import add_items
from tests.conftest import Api


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def is_korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


@pytest.mark.parametrize(("lang", "korean"), [("ko", True), ("en", False)])
def test_wrong_login_is_401_in_the_callers_language(db, lang, korean):
    response = Api(None).post("/auth/token", {"username": "nobody", "password": "wrong"}, lang=lang)
    body = assert_error(response, 401, "invalid_credentials")
    assert is_korean(body["message"]) is korean
    if lang == "en":
        assert body["message"] == "The username or password is wrong."
    else:
        assert body["message"] == "아이디 또는 비밀번호가 올바르지 않습니다."


@pytest.mark.parametrize(("lang", "korean"), [("ko", True), ("en", False)])
def test_unknown_project_is_404(api, lang, korean):
    response = api("worker").post("/projects/987654/assignments/next", lang=lang)
    body = assert_error(response, 404, "project_not_found")
    assert is_korean(body["message"]) is korean


def test_a_path_parameter_that_does_not_parse_is_422(api):
    body = assert_error(api("worker").get("/projects/not-a-number"), 422, "invalid_input")
    assert body["details"]["errors"][0]["path"] == "path.project_id"


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'single': 'quotes'}",
        b"\xff\xfe\x00",
        b'{"username": NaN, "password": "x"}',
        b'{"username": "a", "password": Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["truncated", "single-quotes", "not-utf8", "nan", "infinity", "deep"],
)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_malformed_body_is_400_with_a_code(db, raw, lang):
    body = assert_error(Api(None).post("/auth/token", raw=raw, lang=lang), 400, "malformed_request")
    assert is_korean(body["message"]) is (lang == "ko")


@pytest.mark.parametrize(
    "document",
    ['{"username": "a\\u0000b", "password": "x"}', '{"username": "\\ud800", "password": "x"}'],
    ids=["nul", "lone-surrogate"],
)
def test_unstorable_text_is_refused_before_it_reaches_the_database(db, document):
    body = assert_error(Api(None).post("/auth/token", raw=document), 422, "invalid_input")
    assert body["details"]["path"] == "username"


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"null", b"{}", b"12"])
def test_json_of_the_wrong_shape_is_422(db, raw):
    body = assert_error(Api(None).post("/auth/token", raw=raw), 422, "invalid_input")
    assert body["details"]["errors"]


@pytest.mark.parametrize(("lang", "korean"), [("ko", True), ("en", False)])
def test_validation_error_names_the_field(db, lang, korean):
    response = Api(None).post("/auth/signup", {"username": "x", "password": PASSWORD_OK}, lang=lang)
    body = assert_error(response, 422, "invalid_input")
    assert is_korean(body["message"]) is korean
    assert [e["path"] for e in body["details"]["errors"]] == ["body.username"]


PASSWORD_OK = "a-long-enough-passphrase-7"


@pytest.mark.parametrize(("lang", "korean"), [("ko", True), ("en", False)])
def test_submit_after_the_lease_expired_is_409(project, api, lang, korean):
    add_items(project=project, records=[{"text": "문장"}])
    worker = api("worker")
    assignment = worker.post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    Assignment.objects.filter(pk=assignment["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": {"label": "pos"}}, lang=lang)
    body = assert_error(response, 409, "lease_expired")
    assert is_korean(body["message"]) is korean
    assert "expired_at" in body["details"]


def test_invalid_answer_is_422_with_the_path_in_korean(project, api):
    add_items(project=project, records=[{"text": "문장"}])
    worker = api("worker")
    assignment = worker.post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    response = worker.post(
        f"/assignments/{assignment['id']}/submit", {"answer": {"label": "maybe"}}, lang="ko"
    )
    # the automatic checks refuse it before review, with the field's problem in the caller's language
    body = assert_error(response, 422, "answer_checks_failed")
    assert body["message"].startswith("자동 검사")
    assert body["details"]["errors"] == [
        {"path": "label", "error": "선택지 중 하나를 고르세요.", "code": "not_allowed"}
    ]


def test_unauthenticated_is_401(db):
    assert_error(Api(None).get("/me"), 401, "not_authenticated")


def test_unknown_token_is_401_with_its_own_code(db):
    client = Api(None)
    client.headers["Authorization"] = "Bearer dure_not-a-real-token"
    assert_error(client.get("/me"), 401, "invalid_token")


def test_role_denied_is_403(project, api):
    assert_error(api("worker").patch(f"/projects/{project.pk}", {"name": "x"}), 403, "permission_denied")


JUNK_BODIES = [
    b"",
    b"{",
    b"[]",
    b"[{}]",
    b'{"answer": NaN}',
    b'{"answer": 1e400}',
    b'{"answer": {"label": ["pos"]}}',
    b'{"answer": {"label": {"a": 1}}}',
    b'{"answer": "\\u0000"}',
    b'{"decision": 12, "reasons": "x"}',
    b"\x00\x01\x02",
    json.dumps({"answer": [[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]}).encode(),
]


@pytest.mark.parametrize("raw", JUNK_BODIES)
def test_malformed_bodies_never_produce_a_500_anywhere(project, api, raw):
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    worker, manager = api("worker"), api("manager")
    assignment = worker.post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    paths = [
        (manager, "post", "/projects"),
        (manager, "patch", f"/projects/{project.pk}"),
        (manager, "post", f"/projects/{project.pk}/members"),
        (manager, "post", f"/projects/{project.pk}/items"),
        (worker, "post", f"/assignments/{assignment['id']}/heartbeat"),
        (worker, "post", f"/assignments/{assignment['id']}/submit"),
        (api("reviewer"), "post", "/reviews/1/decision"),
        (Api(None), "post", "/auth/token"),
        (Api(None), "post", "/auth/signup"),
    ]
    for client, method, path in paths:
        response = client.call(method, path, raw=raw)
        assert response.status_code < 500, (path, raw[:40], response.content[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code, response.json()["code"])


@pytest.mark.parametrize(
    "raw",
    [
        '[{"text": "a", "score": NaN}]',
        '[{"text": "a", "score": 1e999}]',
        '[{"text": "a\\u0000b"}]',
        '[{"text": "\\udc00"}]',
        "[" * 200 + "]" * 200,
    ],
    ids=["nan", "overflow", "nul", "lone-surrogate", "deep"],
)
def test_items_that_cannot_be_stored_are_refused_with_their_record_number(project, api, raw):
    response = api("manager").post(f"/projects/{project.pk}/items", raw=raw)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert project.items.count() == 0


def test_openapi_schema_is_served_with_the_contract_paths(db):
    response = Api(None).get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/projects/{project_id}/items",
        "/api/v1/projects/{project_id}/assignments/next",
        "/api/v1/assignments/{assignment_id}/heartbeat",
        "/api/v1/assignments/{assignment_id}/submit",
        "/api/v1/projects/{project_id}/reviews/next",
        "/api/v1/reviews/{review_id}/decision",
        "/api/v1/projects/{project_id}/progress",
        "/api/v1/projects/{project_id}/export",
    ]:
        assert path in paths, path
    assert "post" in paths["/api/v1/projects/{project_id}/assignments/next"]


def test_an_unknown_api_path_is_a_json_404(api):
    response = api("worker").get("/no/such/thing", lang="ko")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_endpoint"
    assert body["details"]["path"] == "/api/v1/no/such/thing"
