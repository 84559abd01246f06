"""Exports: import → label through the work loop → export → read back with each format's own tool."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq
from pycocotools.coco import COCO

from dure.datasets.exporters import conll_tokens
from dure.projects.models import Project
from dure.work.models import Item
from tests.datasets.conftest import jsonl, label_everything
from tests.datasets.test_imports import IMAGE_SPEC, NER_SPEC

LLM_SPEC = {
    "inputs": [{"name": "prompt", "type": "prompt"}],
    "outputs": [
        {"name": "response", "type": "text"},
        {"name": "quality", "type": "rating", "min": 1, "max": 5},
    ],
}


def box_answer(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "boxes": [{"x": 10, "y": 5, "width": 20, "height": 10, "label": "cat"}],
        "outline": [{"points": [[1, 1], [30, 1], [30, 20]], "label": "dog"}],
    }


def images_project(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> Project:
    project = make_project(spec=IMAGE_SPEC)
    records = [{"image": f"img/{n}.jpg", "width": 100, "height": 50} for n in range(3)]
    assert run_import(project, "jsonl", jsonl(records))["result"]["created"] == 3
    return project


def test_native_jsonl_carries_full_provenance(
    project: Project, people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    run_import(
        project, "jsonl", jsonl([{"text": "a"}, {"text": "b"}, {"data": {"text": "c"}, "external_id": "x"}])
    )
    label_everything(
        project, people["worker"], people["reviewer"], lambda d: {"label": "pos"}, reject_first=True
    )
    job, body = run_export(project, "jsonl")
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert job["result"]["rows"] == 3 and len(rows) == 3
    row = rows[2]
    assert row["external_id"] == "x" and row["answer"] == {"label": "pos"}
    versions = row["slots"][0]["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["reviews"][0]["decision"] == "reject" and versions[0]["reviews"][0]["reasons"] == [
        "unclear"
    ]
    assert versions[1]["reviews"][0]["decision"] == "approve"
    assert versions[0]["worker"].startswith("w_") and str(people["worker"].pk) != versions[0]["worker"][2:]
    assert isinstance(versions[1]["active_seconds"], float)
    assert row["approved"][0]["reviewer"].startswith("w_")
    summary = job["result"]["summary"]
    assert summary["rejected_answers"] == 3 and summary["approved_answers"] == 3


def test_only_approved_items_by_default_and_filters(
    project: Project, people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    run_import(project, "jsonl", jsonl([{"text": "a"}, {"text": "b"}]))
    from dure.work.services import decide, lease_next_item, lease_next_review, submit

    assignment = lease_next_item(worker=people["worker"], project=project)
    assert assignment is not None
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "neg"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    assert review is not None
    decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    assert run_export(project, "jsonl")[0]["result"]["rows"] == 1
    assert run_export(project, "jsonl", {"state": "all"})[0]["result"]["rows"] == 2
    assert (
        run_export(project, "jsonl", {"state": "done", "done_from": "2000-01-01"})[0]["result"]["rows"] == 1
    )
    assert (
        run_export(project, "jsonl", {"state": "all", "created_to": "2000-01-01"})[0]["result"]["rows"] == 0
    )
    # a viewer may export too
    assert run_export(project, "csv", role="viewer")[0]["result"]["rows"] == 1


def test_coco_export_loads_in_pycocotools(
    make_project: Callable[..., Project],
    people: dict[str, Any],
    run_import: Any,
    run_export: Any,
    tmp_path: Any,
) -> None:
    project = images_project(make_project, run_import)
    label_everything(project, people["worker"], people["reviewer"], box_answer)
    _job, body = run_export(project, "coco")
    path = tmp_path / "coco.json"
    path.write_bytes(body)
    coco = COCO(str(path))
    assert len(coco.getImgIds()) == 3
    assert {c["name"] for c in coco.loadCats(coco.getCatIds())} == {"cat", "dog"}
    annotations = coco.loadAnns(coco.getAnnIds())
    assert len(annotations) == 6
    box = next(a for a in annotations if not a["segmentation"])
    assert box["bbox"] == [10, 5, 20, 10] and box["area"] == 200
    polygon = next(a for a in annotations if a["segmentation"])
    assert coco.annToMask(polygon).sum() > 0
    # … and round-trips: importing the export gives the same shapes as pre-labels
    again = make_project(spec=IMAGE_SPEC, name="again")
    assert run_import(again, "coco", body)["result"]["created"] == 3
    prelabels = Item.objects.filter(project=again).first().data["_prelabels"]  # type: ignore[union-attr]
    assert prelabels["boxes"] == [{"x": 10.0, "y": 5.0, "width": 20.0, "height": 10.0, "label": "cat"}]
    assert prelabels["outline"][0]["points"] == [[1.0, 1.0], [30.0, 1.0], [30.0, 20.0]]


def test_yolo_and_voc_exports(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    project = images_project(make_project, run_import)
    label_everything(project, people["worker"], people["reviewer"], box_answer)
    _job, body = run_export(project, "yolo")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.read("classes.txt").decode().split() == ["cat", "dog"]
    lines = archive.read("labels/0.txt").decode().splitlines()
    assert lines[0] == "0 0.200000 0.200000 0.200000 0.200000"
    assert lines[1].startswith("1 0.010000 0.020000 0.300000 0.020000")
    assert "nc: 2" in archive.read("data.yaml").decode()
    assert json.loads(archive.read("quality_summary.json"))["items"] == 3
    _job, body = run_export(project, "voc")
    archive = zipfile.ZipFile(io.BytesIO(body))
    root = ET.fromstring(archive.read("Annotations/1.xml"))
    assert root.findtext("filename") == "1.jpg" and root.findtext("size/width") == "100"
    boxes = root.findall("object")
    assert boxes[0].findtext("name") == "cat"
    assert [boxes[0].findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "11",
        "6",
        "30",
        "15",
    ]


def test_label_studio_export_reads_back(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    project = images_project(make_project, run_import)
    label_everything(project, people["worker"], people["reviewer"], box_answer)
    _job, body = run_export(project, "label_studio")
    tasks = json.loads(body)
    assert len(tasks) == 3
    result = tasks[0]["annotations"][0]["result"]
    rectangle = next(r for r in result if r["type"] == "rectanglelabels")
    assert rectangle["value"]["x"] == 10.0 and rectangle["value"]["width"] == 20.0  # percent of 100 px
    assert rectangle["original_width"] == 100 and rectangle["to_name"] == "image"
    again = make_project(spec=IMAGE_SPEC, name="again")
    assert run_import(again, "label_studio", body)["result"]["created"] == 3
    prelabels = Item.objects.filter(project=again).first().data["_prelabels"]  # type: ignore[union-attr]
    assert prelabels == box_answer({})


def test_conll_export_of_spans(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    project = make_project(spec=NER_SPEC)
    run_import(project, "jsonl", jsonl([{"text": "Kim Minsu lives in Seoul ."}]))
    answer = {"entities": [{"start": 0, "end": 9, "label": "PER"}, {"start": 19, "end": 24, "label": "LOC"}]}
    label_everything(project, people["worker"], people["reviewer"], lambda d: answer)
    _job, body = run_export(project, "conll")
    lines = body.decode().splitlines()
    assert lines[0] == "-DOCSTART- -X- -X- O"
    assert lines[2:8] == ["Kim -X- -X- B-PER", "Minsu -X- -X- I-PER", "lives -X- -X- O", "in -X- -X- O",
                          "Seoul -X- -X- B-LOC", ". -X- -X- O"]  # fmt: skip
    assert conll_tokens("a b", [{"start": 0, "end": 1, "label": "X"}, {"start": 2, "end": 3, "label": "X"}]) == [
        ("a", "B-X"), ("b", "B-X"),
    ]  # fmt: skip


def test_csv_and_parquet_for_llm_data(
    make_project: Callable[..., Project],
    people: dict[str, Any],
    run_import: Any,
    run_export: Any,
    tmp_path: Any,
) -> None:
    project = make_project(spec=LLM_SPEC, overlap=2)
    run_import(project, "jsonl", jsonl([{"prompt": "두레란?"}, {"prompt": "What is 2+2?"}]))
    answer = {"response": "협동 노동", "quality": 4}
    label_everything(project, people["worker"], people["reviewer"], lambda d: answer)
    label_everything(project, people["worker2"], people["reviewer"], lambda d: answer)
    _job, body = run_export(project, "parquet")
    path = tmp_path / "out.parquet"
    path.write_bytes(body)
    table = pq.read_table(path)
    assert table.num_rows == 4  # two approved answers per item
    rows = table.to_pylist()
    assert rows[0]["prompt"] == "두레란?" and rows[0]["response"] == "협동 노동" and rows[0]["quality"] == "4"
    assert rows[0]["worker"] != rows[1]["worker"]
    assert str(table.schema.field("approved_at").type) == "timestamp[us, tz=UTC]"
    _job, body = run_export(project, "csv")
    assert body.startswith(b"\xef\xbb\xbf")
    records = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(records) == 4 and records[0]["response"] == "협동 노동"
