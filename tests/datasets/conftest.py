"""Helpers for dataset tests: jobs run at once (Django's immediate backend), files posted like a client."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dure.accounts.models import User
from dure.projects.models import Project
from dure.work.services import decide, lease_next_item, lease_next_review, submit
from tests.conftest import Api


@pytest.fixture(autouse=True)
def _temporary_media(media_root: Path) -> Path:
    return media_root


def post_import(client: Api, project_id: int, fmt: str, content: bytes = b"", name: str = "data",
                url: str = "", capture: Any = None) -> Any:  # fmt: skip
    data: dict[str, Any] = {"format": fmt}
    if url:
        data["url"] = url
    if content or not url:
        upload = io.BytesIO(content)
        upload.name = name
        data["file"] = upload
    return client.client.post(
        f"/api/v1/projects/{project_id}/imports",
        data=data,
        headers={**client.headers, "Accept-Language": "en"},
    )


@pytest.fixture
def run_import(
    api: Callable[[str], Api], immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> Callable[..., dict[str, Any]]:
    """Posts a file as the manager, runs the job, returns the job as GET /jobs/{id} shows it."""

    def go(
        project: Project, fmt: str, content: bytes = b"", name: str = "data", url: str = ""
    ) -> dict[str, Any]:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_import(api("manager"), project.pk, fmt, content, name, url)
        assert response.status_code == 202, response.content
        job = api("manager").get(f"/jobs/{response.json()['id']}")
        assert job.status_code == 200
        return job.json()  # type: ignore[no-any-return]

    return go


@pytest.fixture
def run_export(
    api: Callable[[str], Api], immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> Callable[..., tuple[dict[str, Any], bytes]]:
    def go(
        project: Project, fmt: str, filters: dict[str, Any] | None = None, role: str = "manager"
    ) -> tuple[dict[str, Any], bytes]:
        with django_capture_on_commit_callbacks(execute=True):
            response = api(role).post(
                f"/projects/{project.pk}/exports", {"format": fmt, "filters": filters or {}}
            )
        assert response.status_code == 202, response.content
        job = api(role).get(f"/jobs/{response.json()['id']}").json()
        assert job["state"] == "succeeded", job
        download = api(role).get(f"/jobs/{job['id']}/download")
        assert download.status_code == 200
        return job, b"".join(download.streaming_content)

    return go


def label_everything(project: Project, worker: User, reviewer: User, answer_for: Callable[[dict[str, Any]], Any],
                     reject_first: bool = False) -> int:  # fmt: skip
    """Answers every open item and approves every answer (optionally rejecting each first answer once)."""
    answered = 0
    while (assignment := lease_next_item(worker=worker, project=project)) is not None:
        submit(worker=worker, assignment_id=assignment.pk, answer=answer_for(assignment.item.data))
        answered += 1
    rejected: set[int] = set()
    while (review := lease_next_review(reviewer=reviewer, project=project)) is not None:
        if reject_first and review.slot_id not in rejected:
            rejected.add(review.slot_id)
            decide(reviewer=reviewer, review_id=review.pk, decision="reject", reasons=["unclear"])
            assignment = lease_next_item(worker=worker, project=project)
            assert assignment is not None
            submit(worker=worker, assignment_id=assignment.pk, answer=answer_for(assignment.item.data))
        else:
            decide(reviewer=reviewer, review_id=review.pk, decision="approve")
    return answered


def jsonl(records: list[Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
