"""Export filter by worker level: only items whose approved answers are all by workers at a level or above."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from dure.accounts.services import issue_token
from dure.cli import main
from dure.datasets.models import DatasetJob
from dure.projects.models import Project
from dure.quality.models import Level
from dure.work.services import decide, lease_next_item, lease_next_review, submit
from tests.conftest import PASSWORD, Api
from tests.datasets.conftest import jsonl


@pytest.fixture
def levels(db: None) -> None:
    """Our own levels instead of the seeded ones: Silver from two approved answers, Gold from fifty."""
    Level.objects.all().delete()
    Level.objects.create(rank=1, name="Silver", min_approved=2)
    Level.objects.create(rank=2, name="Gold", min_approved=50)


def labelled_by_two_workers(project: Project, people: dict[str, Any], run_import: Any) -> None:
    """``worker`` answers two items, ``worker2`` one; every answer is approved."""
    run_import(project, "jsonl", jsonl([{"text": "a"}, {"text": "b"}, {"text": "c"}]))
    for worker in (people["worker"], people["worker"], people["worker2"]):
        assignment = lease_next_item(worker=worker, project=project)
        assert assignment is not None
        submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
    while (review := lease_next_review(reviewer=people["reviewer"], project=project)) is not None:
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")


def test_worker_level_keeps_items_answered_at_that_level(
    levels: None, project: Project, people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    labelled_by_two_workers(project, people, run_import)
    job, body = run_export(project, "jsonl", {"worker_level": 1})
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert [r["data"]["text"] for r in rows] == ["a", "b"]
    assert job["result"]["rows"] == 2 and job["result"]["summary"]["items"] == 2
    assert job["result"]["summary"]["workers"] == 1
    job, body = run_export(project, "csv", {"worker_level": 2})
    assert job["result"]["rows"] == 0
    job, _body = run_export(project, "jsonl", {"state": "all"})
    assert job["result"]["rows"] == 3


def test_an_unknown_worker_level_is_refused(
    levels: None, project: Project, people: dict[str, Any], api: Callable[[str], Api]
) -> None:
    for bad in (7, "gold", True, -1):
        response = api("manager").post(
            f"/projects/{project.pk}/exports", {"format": "jsonl", "filters": {"worker_level": bad}}
        )
        assert response.status_code == 422, bad
        body = response.json()
        assert body["code"] == "invalid_input" and body["details"]["path"] == "filters.worker_level"
        assert body["details"]["allowed"] == [1, 2]
    assert not DatasetJob.objects.exists()


def test_the_export_form_offers_the_levels(levels: None, project: Project, people: dict[str, Any]) -> None:
    browser = Client()
    assert browser.login(username="manager", password=PASSWORD)
    page = browser.get(
        f"/projects/{project.pk}/datasets/", headers={"Accept-Language": "en"}
    ).content.decode()
    assert 'name="worker_level"' in page and "Silver (1) or higher" in page
    browser.post(
        f"/projects/{project.pk}/datasets/",
        {"kind": "export", "format": "jsonl", "state": "approved", "worker_level": "1"},
    )
    job = DatasetJob.objects.get(project=project)
    assert job.params["filters"] == {"state": "approved", "worker_level": 1}


@pytest.mark.django_db(transaction=True)
def test_dure_export_takes_the_worker_level(
    live_server: Any, project: Project, people: dict[str, Any], immediate_tasks: None, run_import: Any,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Everyone is at least a Sprout (1); nobody here has the 20 answers of Regular (2)."""
    # set here: a transactional test before this one may have flushed the seeded levels
    Level.objects.update_or_create(rank=1, defaults={"name": "Sprout", "min_approved": 0})
    Level.objects.update_or_create(rank=2, defaults={"name": "Regular", "min_approved": 20})
    labelled_by_two_workers(project, people, run_import)
    _token, raw = issue_token(user=people["manager"], name="cli")
    monkeypatch.setenv("DURE_URL", live_server.url)
    monkeypatch.setenv("DURE_TOKEN", raw)
    for level, expected in (("1", 3), ("2", 0)):
        output = tmp_path / f"level-{level}.jsonl"
        with pytest.raises(SystemExit) as exit_code:
            main(["export", str(project.pk), "--format", "jsonl", "--worker-level", level, "-o", str(output)])
        assert exit_code.value.code == 0
        assert len(output.read_text().splitlines()) == expected
