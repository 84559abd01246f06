"""``dure users create|import`` and ``dure orgs create``: idempotent, with a report."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from dure.accounts.models import Membership, User


def _run(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_orgs_create_then_users_import_twice(db, tmp_path):
    [org] = _run("dure_orgs", "create", "Seoul Hospital", "--slug", "seoul")
    assert org["result"] == "created"
    assert _run("dure_orgs", "create", "Seoul Hospital", "--slug", "seoul")[0]["result"] == "skipped"
    people = tmp_path / "people.csv"
    people.write_text(
        "\ufeffusername,email,name,role,organization,password\n"
        "kim,kim@example.com,김민지,manager,,a-long-enough-pass-42\n"
        "lee,lee@example.com,이서준,worker,,\n"
        ",nobody@example.com,,,,\n"
        "park,park@example.com,박,chief,,\n"
        "choi,choi@example.com,최,worker,nowhere,\n",
        encoding="utf-8",
    )
    first = _run("dure_users", "import", str(people), "--org", "seoul")
    assert [row.get("result") for row in first[:-1]] == ["created", "created", "error", "error", "error"]
    assert "/invitations/" in first[1]["invitation_url"]
    assert first[-1]["summary"] == {"created": 2, "skipped": 0, "errors": 3}
    assert Membership.objects.get(user__username="kim", organization__slug="seoul").role == "manager"
    assert User.objects.get(username="kim").display_name == "김민지"
    second = _run("dure_users", "import", str(people), "--org", "seoul")
    assert second[-1]["summary"] == {"created": 0, "skipped": 2, "errors": 3}
    assert User.objects.filter(username__in=["kim", "lee"]).count() == 2


def test_users_create(db):
    [row] = _run(
        "dure_users", "create", "solo", "--email", "s@example.com", "--password", "a-long-enough-pass-42"
    )
    assert row["result"] == "created"
    assert User.objects.get(username="solo").check_password("a-long-enough-pass-42")
