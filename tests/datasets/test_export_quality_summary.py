"""Every export carries the project's quality summary: inside the file where the format has room for it
(zip archives, COCO's info, Parquet's metadata), and for every format as quality_summary.json next to the
export, served by GET /jobs/{id}/quality-summary."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq
import pytest

from dure.projects.models import Project
from tests.conftest import Api
from tests.datasets.conftest import jsonl, label_everything, post_import
from tests.datasets.test_exports import box_answer, images_project
from tests.datasets.test_imports import NER_SPEC


def served_summary(api: Callable[[str], Api], job: dict[str, Any], role: str = "manager") -> dict[str, Any]:
    assert job["quality_summary_url"] == f"/api/v1/jobs/{job['id']}/quality-summary"
    response = api(role).get(f"/jobs/{job['id']}/quality-summary")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    summary: dict[str, Any] = json.loads(b"".join(response.streaming_content))
    return summary


def test_single_file_formats_have_the_summary_beside_them(
    project: Project, people: dict[str, Any], run_import: Any, run_export: Any, api: Callable[[str], Api]
) -> None:
    run_import(project, "jsonl", jsonl([{"text": "a"}, {"text": "b"}]))
    label_everything(
        project, people["worker"], people["reviewer"], lambda d: {"label": "pos"}, reject_first=True
    )
    for fmt in ("jsonl", "csv", "label_studio", "parquet"):
        job, body = run_export(project, fmt, {"state": "approved"})
        summary = served_summary(api, job)
        assert summary == job["result"]["summary"], fmt
        assert summary["items"] == 2 and summary["approved_answers"] == 2 and summary["rejected_answers"] == 2
        assert summary["filters"] == {"state": "approved"}
        if fmt == "parquet":
            metadata = pq.read_schema(io.BytesIO(body)).metadata
            assert json.loads(metadata[b"dure.quality_summary"]) == summary


def test_conll_has_the_summary_beside_it(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any,
    api: Callable[[str], Api],
) -> None:  # fmt: skip
    project = make_project(spec=NER_SPEC)
    run_import(project, "jsonl", jsonl([{"text": "Kim lives in Seoul ."}]))
    answer = {"entities": [{"start": 0, "end": 3, "label": "PER"}]}
    label_everything(project, people["worker"], people["reviewer"], lambda d: answer)
    job, _body = run_export(project, "conll")
    assert served_summary(api, job)["items"] == 1


def test_archives_and_coco_hold_the_summary_inside(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any,
    api: Callable[[str], Api],
) -> None:  # fmt: skip
    project = images_project(make_project, run_import)
    label_everything(project, people["worker"], people["reviewer"], box_answer)
    for fmt in ("yolo", "voc"):
        job, body = run_export(project, fmt)
        inside = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("quality_summary.json"))
        assert inside == job["result"]["summary"] == served_summary(api, job)
    job, body = run_export(project, "coco")
    assert json.loads(body)["info"]["quality"] == served_summary(api, job)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("manager", 200),
        ("viewer", 200),
        ("reviewer", 403),
        ("worker", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_who_may_read_the_quality_summary(
    project: Project, run_export: Any, api: Callable[[str], Api], role: str, status: int
) -> None:
    job, _body = run_export(project, "jsonl", {"state": "all"})
    assert api(role).get(f"/jobs/{job['id']}/quality-summary").status_code == status


def test_an_import_has_no_quality_summary(
    project: Project, api: Callable[[str], Api], immediate_tasks: None
) -> None:
    job = post_import(api("manager"), project.pk, "jsonl", jsonl([{"text": "a"}])).json()
    response = api("manager").get(f"/jobs/{job['id']}/quality-summary")
    assert response.status_code == 409 and response.json()["code"] == "result_not_ready"
