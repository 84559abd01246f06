"""Every endpoint, every role: a role gets exactly what it needs; another organization sees nothing (404)."""

from __future__ import annotations

import pytest

from dure.work.services import add_items, lease_next_item, lease_next_review, submit

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]


def _expect(row: dict[str, int], role: str) -> int:
    return row.get(role, {"outsider": 404, "anonymous": 401}.get(role, 403))


OK_MANAGE = {"owner": 200, "manager": 200}
MATRIX = [
    # (method, path, body, expected status by role; roles not named are 403, outsider 404, anonymous 401)
    (
        "get",
        "/projects/{p}",
        None,
        {"owner": 200, "manager": 200, "reviewer": 200, "worker": 200, "viewer": 200},
    ),
    ("patch", "/projects/{p}", {"description": "새 설명"}, OK_MANAGE),
    ("get", "/projects/{p}/members", None, OK_MANAGE),
    ("post", "/projects/{p}/members", {"user": "worker2", "role": "worker"}, {"owner": 201, "manager": 201}),
    ("post", "/projects/{p}/items", [{"text": "new"}], {"owner": 201, "manager": 201}),
    ("post", "/projects/{p}/assignments/next", None, {"owner": 200, "manager": 200, "worker": 200}),
    ("post", "/projects/{p}/reviews/next", None, {"owner": 204, "manager": 204, "reviewer": 204}),
    ("get", "/projects/{p}/progress", None, {"owner": 200, "manager": 200, "reviewer": 200, "viewer": 200}),
    ("get", "/projects/{p}/export?format=jsonl", None, {"owner": 200, "manager": 200, "viewer": 200}),
    ("get", "/projects/{p}/items/{i}", None, {"owner": 200, "manager": 200, "reviewer": 200, "viewer": 200}),
    ("post", "/projects/{p}/pause", None, OK_MANAGE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "row"), MATRIX, ids=[f"{m} {p}" for m, p, _b, _r in MATRIX]
)
def test_role_matrix(project, api, role, method, path, body, row):
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    item = project.items.order_by("id").first()
    url = path.format(p=project.pk, i=item.pk)
    client = api(role)
    response = client.get(url) if method == "get" else client.call(method, url, body)
    assert response.status_code == _expect(row, role), (role, url, response.content[:300])
    if response.status_code >= 400:
        assert response.json()["code"], "errors carry a machine-readable code"


@pytest.mark.parametrize("role", ROLES)
def test_open_a_draft_project(make_project, api, role):
    project = make_project(status="draft", name="Draft")
    response = api(role).post(f"/projects/{project.pk}/open")
    assert response.status_code == _expect(OK_MANAGE, role)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", 201),
        ("manager", 201),
        ("reviewer", 403),
        ("worker", 403),
        ("viewer", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_create_project_in_an_organization(org, people, api, role, expected):
    from tests.conftest import CHOICE_SPEC

    response = api(role).post("/projects", {"name": "New", "spec": CHOICE_SPEC, "organization_id": org.pk})
    assert response.status_code == expected, response.content


def test_list_projects_is_scoped(project, api):
    assert [p["id"] for p in api("manager").get("/projects").json()["items"]] == [project.pk]
    assert [p["id"] for p in api("worker").get("/projects").json()["items"]] == [project.pk]
    assert api("outsider").get("/projects").json()["items"] == []


def test_org_worker_not_on_the_project_does_not_see_it(make_project, api, people):
    from dure.projects.models import ProjectMember

    project = make_project(name="Members only")
    ProjectMember.objects.filter(project=project, user=people["worker2"]).delete()
    assert api("worker2").get(f"/projects/{project.pk}").status_code == 404
    assert api("worker2").post(f"/projects/{project.pk}/assignments/next").status_code == 404


def test_assignments_and_reviews_belong_to_their_holder(project, api, people):
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    for role in ["worker2", "manager", "outsider"]:
        for action in ["heartbeat", "submit", "release"]:
            response = api(role).post(f"/assignments/{assignment.pk}/{action}", {"answer": {"label": "pos"}})
            assert response.status_code == 404, (role, action)
            assert response.json()["code"] == "assignment_not_found"
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    for role in ["manager", "worker", "outsider"]:
        response = api(role).post(f"/reviews/{review.pk}/decision", {"decision": "approve"})
        assert response.status_code == 404
        assert response.json()["code"] == "review_not_found"
    assert api("anonymous").post(f"/reviews/{review.pk}/decision", {"decision": "approve"}).status_code == 401
