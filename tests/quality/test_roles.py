"""Every quality endpoint for every role: managers run gold, settings, scores and appeals; others are refused;
another organization sees nothing (404); anonymous callers are asked to sign in (401)."""

from __future__ import annotations

import pytest

from dure.work.services import add_items

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]
MANAGE = {"owner", "manager"}


def _status(role: str, allowed: set[str], ok: int) -> int:
    if role in allowed:
        return ok
    return {"outsider": 404, "anonymous": 401}.get(role, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_quality_endpoints_by_role(project, api, role):
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    item = project.items.order_by("id").last()
    p = project.pk
    client = api(role)
    cases = [
        ("get", f"/projects/{p}/gold", None, MANAGE, 200),
        ("post", f"/projects/{p}/gold", {"item_id": item.pk, "answer": {"label": "pos"}}, MANAGE, 201),
        ("get", f"/projects/{p}/quality-settings", None, MANAGE, 200),
        ("patch", f"/projects/{p}/quality-settings", {"gold_rate": 0.05}, MANAGE, 200),
        ("get", f"/projects/{p}/scores", None, MANAGE, 200),
        ("get", f"/projects/{p}/appeals", None, MANAGE, 200),
        ("post", f"/projects/{p}/audits/next", None, MANAGE, 204),
        ("post", f"/projects/{p}/reviewers/maintain", None, MANAGE, 200),
        ("delete", f"/projects/{p}/gold/{item.pk}", None, MANAGE, 204),
    ]
    for method, path, body, allowed, ok in cases:
        response = client.get(path) if method == "get" else client.call(method, path, body)
        assert response.status_code == _status(role, allowed, ok), (
            role,
            method,
            path,
            response.content[:200],
        )
        if response.status_code >= 400:
            assert response.json()["code"]
    signed_in = role != "anonymous"
    assert client.get("/me/scores").status_code == (200 if signed_in else 401)
    assert client.get("/me/pauses").status_code == (200 if signed_in else 401)
    assert client.post("/pauses/999/appeal", {"message": "x"}).status_code == (404 if signed_in else 401)
    member = role in {"owner", "manager", "reviewer", "worker", "viewer"}
    assert client.get(f"/me/scores?project={p}").status_code == (200 if member else 404 if signed_in else 401)
