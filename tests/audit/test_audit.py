"""The audit log: what is recorded, who may read it, JSONL export, and that it cannot be changed."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from dure.accounts.services import set_membership
from dure.audit.models import AppendOnly, AuditEvent
from dure.audit.services import record
from dure.projects.services import update_project
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("manager", 403), ("reviewer", 403), ("worker", 403), ("viewer", 403),
     ("outsider", 404), ("anonymous", 401)],
)  # fmt: skip
def test_who_may_search_the_audit_log(org, people, api, role, expected):
    response = api(role).get(f"/organizations/{org.pk}/audit")
    assert response.status_code == expected
    export = api(role).get(f"/organizations/{org.pk}/audit.jsonl")
    assert export.status_code == expected


def test_role_changes_prices_and_sign_ins_are_recorded(org, people, api, project):
    set_membership(organization=org, user=people["worker"], role="reviewer")
    update_project(project=project, changes={"price_per_item": 120})
    assert api("anonymous").client.login(username="viewer", password=PASSWORD)
    assert not api("anonymous").client.login(username="viewer", password="wrong-password")
    items = api("owner").get(f"/organizations/{org.pk}/audit").json()["items"]
    actions = [e["action"] for e in items]
    assert {"role_changed", "price_changed", "sign_in", "sign_in_failed"} <= set(actions)
    role = next(
        e
        for e in items
        if e["action"] == "role_changed"
        and e["target_id"] == str(people["worker"].pk)
        and e["details"]["new"] == "reviewer"
    )
    assert role["details"]["old"] == "worker"
    price = next(e for e in items if e["action"] == "price_changed")
    assert price["details"]["changes"]["price_per_item"][1] == 120
    only = api("owner").get(f"/organizations/{org.pk}/audit?action=sign_in").json()["items"]
    assert {e["action"] for e in only} == {"sign_in"}
    # Another organization's owner sees none of it.
    other = api("outsider").get("/me").json()["memberships"][0]["organization_id"]
    assert all(
        e["action"] not in {"price_changed"}
        for e in api("outsider").get(f"/organizations/{other}/audit").json()["items"]
    )


def test_export_is_jsonl_and_is_itself_recorded(org, people, api):
    set_membership(organization=org, user=people["worker"], role="viewer")
    response = api("owner").get(f"/organizations/{org.pk}/audit.jsonl")
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert any(line["action"] == "role_changed" for line in lines)
    assert AuditEvent.objects.filter(action="audit_exported", organization_id=org.pk).exists()


def test_deleted_accounts_appear_only_by_pseudonym(org, people, api):
    from dure.accounts.provisioning import delete_account

    record("export", organization=org, actor=people["manager"])
    delete_account(actor=None, user=people["manager"])
    rows = api("owner").get(f"/organizations/{org.pk}/audit?action=export").json()["items"]
    assert rows[0]["actor"] == f"deleted-{people['manager'].pk}"


def test_append_only(org, people):
    event = record("export", organization=org, actor=people["owner"])
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="sign_in")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
