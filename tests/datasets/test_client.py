"""The Python client and the `dure import` / `dure export` commands against a live server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dure.accounts.services import issue_token
from dure.cli import main
from dure.client import DureApiError, DureClient, JobFailed
from dure.projects.models import Project
from dure.work.models import Item
from tests.datasets.conftest import jsonl, label_everything


@pytest.mark.django_db(transaction=True)
def test_client_and_cli_round_trip(
    live_server: Any, make_project: Callable[..., Project], people: dict[str, Any], immediate_tasks: None,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    project = make_project()
    _token, raw = issue_token(user=people["manager"], name="cli")
    source = tmp_path / "items.jsonl"
    source.write_bytes(jsonl([{"text": f"t{n}"} for n in range(20)]))
    client = DureClient(live_server.url, raw)
    job = client.import_file(project.pk, source, format="jsonl")
    assert job["result"]["created"] == 20
    assert Item.objects.filter(project=project).count() == 20

    monkeypatch.setenv("DURE_URL", live_server.url)
    monkeypatch.setenv("DURE_TOKEN", raw)
    with pytest.raises(SystemExit) as exit_code:
        main(["import", str(project.pk), str(source), "--format", "jsonl"])
    assert exit_code.value.code == 0
    assert "0 added, 20 already there" in capsys.readouterr().out

    label_everything(project, people["worker"], people["reviewer"], lambda d: {"label": "pos"})
    output = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit) as exit_code:
        main(["export", str(project.pk), "--format", "jsonl", "-o", str(output)])
    assert exit_code.value.code == 0
    assert len([json.loads(line) for line in output.read_text().splitlines()]) == 20

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"text": "ok"}\n{"text": 3}\n')
    with pytest.raises(JobFailed) as failed:
        client.import_file(project.pk, bad, format="jsonl")
    assert failed.value.job["error"]["details"]["errors"][0]["line"] == 2
    with pytest.raises(SystemExit) as exit_code:
        main(["import", str(project.pk), str(bad), "--format", "jsonl"])
    assert exit_code.value.code == 1
    assert "line 2 record 2 path data.text: Expected text." in capsys.readouterr().err
    with pytest.raises(DureApiError) as refused:
        DureClient(live_server.url, "wrong").job(job["id"])
    assert refused.value.status == 401
