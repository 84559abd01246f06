"""Provisioning over the API: accounts, invitations, members, deactivation and deletion, per role."""

from __future__ import annotations

import pytest

from dure.accounts.models import ApiToken, Membership, Role, User
from dure.audit.models import AuditEvent
from tests.conftest import PASSWORD, Api

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]


@pytest.fixture
def operator(db):
    user = User.objects.create_user(username="operator", password=PASSWORD, is_staff=True)
    return Api(user)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 201), ("manager", 403), ("reviewer", 403), ("worker", 403), ("viewer", 403),
     ("outsider", 404), ("anonymous", 401)],
)  # fmt: skip
def test_create_user_in_an_organization_by_role(org, people, api, role, expected):
    response = api(role).post(
        "/users", {"username": f"new-{role}", "email": "n@example.com", "organization_id": org.pk}
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert "/invitations/" in body["invitation_url"]
        assert Membership.objects.get(user_id=body["id"], organization=org).role == Role.WORKER
    else:
        assert response.json()["code"]


def test_an_owner_cannot_create_loose_accounts_but_the_operator_can(org, people, api, operator):
    assert api("owner").post("/users", {"username": "loose"}).status_code == 422
    response = operator.post("/users", {"username": "loose", "password": "a-long-enough-pass-42"})
    assert response.status_code == 201
    assert response.json()["invitation_url"] is None
    assert AuditEvent.objects.filter(action="user_created", target_id=str(response.json()["id"])).exists()


def test_invitation_sets_the_password_once(org, people, api):
    url = (
        api("owner")
        .post("/users", {"username": "invited", "organization_id": org.pk})
        .json()["invitation_url"]
    )
    key = url.rstrip("/").split("/")[-1]
    anonymous = api("anonymous")
    assert (
        anonymous.post(f"/invitations/{key}/accept", {"password": "short"}).json()["code"] == "weak_password"
    )
    response = anonymous.post(f"/invitations/{key}/accept", {"password": "a-long-enough-pass-42"})
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "invited"
    again = anonymous.post(f"/invitations/{key}/accept", {"password": "a-long-enough-pass-42"})
    assert again.status_code == 404 and again.json()["code"] == "invitation_invalid"
    token = anonymous.post("/auth/token", {"username": "invited", "password": "a-long-enough-pass-42"})
    assert token.status_code == 201


def test_organization_invitation_creates_the_account(org, people, api):
    response = api("owner").post(
        f"/organizations/{org.pk}/invitations", {"email": "x@example.com", "role": "reviewer"}
    )
    assert response.status_code == 201
    key = response.json()["url"].rstrip("/").split("/")[-1]
    assert api("manager").post(f"/organizations/{org.pk}/invitations", {}).status_code == 403
    assert api("outsider").post(f"/organizations/{org.pk}/invitations", {}).status_code == 404
    joined = api("anonymous").post(
        f"/invitations/{key}/accept", {"username": "joiner", "password": "a-long-enough-pass-42"}
    )
    assert joined.status_code == 201
    assert joined.json()["memberships"][0]["role"] == "reviewer"


def test_user_search_is_scoped_to_owned_organizations(org, people, api, operator):
    names = {u["username"] for u in api("owner").get("/users?query=er").json()["items"]}
    assert "worker" in names and "outsider" not in names
    assert {u["username"] for u in api("outsider").get("/users").json()["items"]} == {"outsider"}
    assert api("worker").get("/users").json()["items"] == []
    assert "outsider" in {u["username"] for u in operator.get("/users?query=outsider").json()["items"]}


def test_members_add_change_remove_and_keep_an_owner(org, people, api):
    owner = api("owner")
    outsider_id = people["outsider"].pk
    assert (
        owner.post(f"/organizations/{org.pk}/members", {"user_id": outsider_id, "role": "viewer"}).status_code
        == 201
    )
    assert (
        owner.post(f"/organizations/{org.pk}/members", {"user_id": outsider_id, "role": "manager"}).json()[
            "role"
        ]
        == "manager"
    )
    assert owner.delete(f"/organizations/{org.pk}/members/{outsider_id}").status_code == 204
    last = owner.delete(f"/organizations/{org.pk}/members/{people['owner'].pk}")
    assert last.status_code == 409 and last.json()["code"] == "last_owner"
    demote = owner.post(f"/organizations/{org.pk}/members", {"user_id": people["owner"].pk, "role": "worker"})
    assert demote.status_code == 409
    assert (
        api("manager")
        .post(f"/organizations/{org.pk}/members", {"user_id": outsider_id, "role": "owner"})
        .status_code
        == 403
    )
    actions = list(AuditEvent.objects.filter(organization_id=org.pk).values_list("action", flat=True))
    assert "role_changed" in actions and "member_removed" in actions


def test_deactivation_keeps_history_and_ends_access(org, people, api, operator):
    worker = people["worker"]
    client = api("worker")
    assert client.get("/me").status_code == 200
    assert api("owner").post(f"/users/{worker.pk}/deactivate").status_code == 403
    response = operator.post(f"/users/{worker.pk}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert client.get("/me").status_code == 401
    assert Membership.objects.filter(user=worker).exists(), "history and memberships stay"
    assert not ApiToken.objects.filter(user=worker, revoked_at__isnull=True).exists()


def test_deletion_on_request_pseudonymises(org, people, api, operator):
    worker = people["worker"]
    assert operator.delete(f"/users/{worker.pk}").status_code == 204
    worker.refresh_from_db()
    assert worker.username == f"deleted-{worker.pk}" and worker.email == "" and not worker.is_active
    assert not worker.has_usable_password()
    assert AuditEvent.objects.filter(action="user_deleted", target_id=str(worker.pk)).exists()


def test_operator_creates_organizations(people, api, operator):
    response = operator.post("/organizations", {"name": "New Hospital", "owner_id": people["worker"].pk})
    assert response.status_code == 201
    assert (
        Membership.objects.get(organization_id=response.json()["id"], user=people["worker"]).role == "owner"
    )
    assert api("owner").post("/organizations", {"name": "Nope"}).status_code == 403
