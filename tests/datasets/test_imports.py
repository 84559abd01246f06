"""Imports: every format, whole or nothing, a report naming the line or record, no duplicates on re-runs."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from dure.projects.models import Project
from dure.work.models import Item, Slot
from dure.work.services import add_items, content_hash
from tests.datasets.conftest import jsonl

IMAGE_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [
        {"name": "boxes", "type": "boxes", "labels": ["cat", "dog"]},
        {"name": "outline", "type": "polygons", "labels": ["cat", "dog"], "required": False},
    ],
}
NER_SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "entities", "type": "spans", "labels": ["PER", "LOC"]}],
}
NUMBER_SPEC = {
    "inputs": [{"name": "text", "type": "text"}, {"name": "score", "type": "number", "required": False}],
    "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
}


def png(width: int = 40, height: int = 30, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def items_of(project: Project) -> list[Item]:
    return list(Item.objects.filter(project=project).order_by("id"))


# --- line and array formats ------------------------------------------------------------------------------


def test_jsonl_import_creates_items_and_slots_like_add_items(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> None:
    ours = make_project(overlap=2, name="ours")
    theirs = make_project(overlap=2, name="theirs")
    records = [{"text": "좋아요"}, {"data": {"text": "bad"}, "external_id": "e-2"}, {"text": "좋아요"}]
    job = run_import(ours, "jsonl", jsonl(records), "items.jsonl")
    assert job["state"] == "succeeded", job
    assert job["result"] == {"created": 2, "skipped": 1, "records": 3}
    add_items(project=theirs, records=records)
    mine = [(i.external_id, i.content_hash, i.data, i.state) for i in items_of(ours)]
    reference = [(i.external_id, i.content_hash, i.data, i.state) for i in items_of(theirs)]
    assert mine == reference
    assert items_of(ours)[0].content_hash == content_hash({"text": "좋아요"})
    assert Slot.objects.filter(project=ours).count() == 4
    assert sorted(Slot.objects.filter(project=ours).values_list("index", flat=True)) == [0, 0, 1, 1]


def test_rerunning_an_import_adds_nothing(
    project: Project, run_import: Callable[..., dict[str, Any]]
) -> None:
    content = jsonl([{"text": f"t{n}"} for n in range(50)] + [{"data": {"text": "x"}, "external_id": "a"}])
    assert run_import(project, "jsonl", content)["result"]["created"] == 51
    again = run_import(project, "jsonl", content)
    assert again["result"] == {"created": 0, "skipped": 51, "records": 51}
    assert Item.objects.filter(project=project).count() == 51


def test_csv_import_converts_numbers_and_reads_external_ids(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> None:
    project = make_project(spec=NUMBER_SPEC)
    content = 'external_id,text,score\nx1,"hello, world",3\nx2,두레,2.5\nx3,empty score,\n'.encode()
    job = run_import(project, "csv", b"\xef\xbb\xbf" + content, "items.csv")
    assert job["result"]["created"] == 3
    data = {i.external_id: i.data for i in items_of(project)}
    assert data == {
        "x1": {"text": "hello, world", "score": 3},
        "x2": {"text": "두레", "score": 2.5},
        "x3": {"text": "empty score"},
    }


def test_json_array_and_items_object(project: Project, run_import: Callable[..., dict[str, Any]]) -> None:
    assert (
        run_import(project, "json", json.dumps([{"text": "a"}, {"text": "b"}]).encode())["result"]["created"]
        == 2
    )
    wrapped = json.dumps({"items": [{"text": "c"}, {"data": {"text": "a"}}]}).encode()
    assert run_import(project, "json", wrapped)["result"] == {"created": 1, "skipped": 1, "records": 2}


# --- malformed files: nothing written, every problem named ------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content", "expected"),
    [
        ("jsonl", b'{"text": "ok"}\n{"text": "cut', {"line": 2, "record": 2}),
        ("jsonl", b'{"text": "ok"}\n{"text": "\xff\xfe"}\n', {"line": 2, "record": 2}),
        ("jsonl", b'{"text": "ok"}\n{"text": 5}\n', {"line": 2, "record": 2, "path": "data.text"}),
        ("jsonl", b'{"text": "ok"}\n\n{"txt": "typo"}\n', {"line": 3, "record": 2, "path": "data.text"}),
        ("json", b'[{"text": "ok"}, {"text": "cut"', {"record": 2}),
        ("json", b'[{"text": "ok"}, {"text": 1.5}]', {"record": 2, "path": "data.text"}),
        ("csv", b"text\nok\n\xff\xfe broken\n", {"line": 3}),
        ("csv", b"text,other\nok,1\nonly-one\n", {"line": 3, "record": 2}),
        ("label_studio", b'[{"data": {"text": "ok"}}, {"nodata": 1}]', {"record": 2}),
        ("coco", b'{"images": [{"id": 1, "file_name": "a.jpg"}', {}),
    ],
)
def test_malformed_files_write_nothing(
    make_project: Callable[..., Project],
    run_import: Callable[..., dict[str, Any]],
    fmt: str,
    content: bytes,
    expected: dict[str, Any],
) -> None:
    project = make_project(spec=IMAGE_SPEC if fmt == "coco" else None)
    job = run_import(project, fmt, content)
    assert job["state"] == "failed"
    assert job["error"]["code"] == "invalid_file"
    assert job["error"]["message"] == "The file has problems; nothing was imported."
    problem = job["error"]["details"]["errors"][0]
    assert expected.items() <= problem.items(), problem
    assert problem["error"]
    assert not Item.objects.filter(project=project).exists()
    assert not Slot.objects.filter(project=project).exists()


def test_a_huge_line_is_reported_without_being_loaded(
    project: Project, run_import: Callable[..., dict[str, Any]], settings: Any
) -> None:
    settings.DURE = {**settings.DURE, "IMPORT_MAX_RECORD_BYTES": 1000}
    content = b'{"text": "fine"}\n{"text": "' + b"x" * 50_000 + b'"}\n{"text": "after"}\n'
    job = run_import(project, "jsonl", content)
    assert job["state"] == "failed"
    assert job["error"]["details"]["errors"] == [
        {"line": 2, "record": 2, "error": "The line is longer than 1000 bytes."}
    ]
    assert not Item.objects.filter(project=project).exists()


def test_the_report_stops_at_100_problems(
    project: Project, run_import: Callable[..., dict[str, Any]]
) -> None:
    content = jsonl([{"text": 1}] * 250)
    job = run_import(project, "jsonl", content)
    assert len(job["error"]["details"]["errors"]) == 100
    assert job["error"]["details"]["errors"][-1]["line"] == 100


def test_a_bad_record_late_in_a_big_file_rolls_back_everything(
    project: Project, run_import: Callable[..., dict[str, Any]], settings: Any
) -> None:
    settings.DURE = {**settings.DURE, "IMPORT_BATCH": 10}
    records: list[Any] = [{"text": f"t{n}"} for n in range(95)] + [{"text": None}]
    job = run_import(project, "jsonl", jsonl(records))
    assert job["state"] == "failed"
    assert job["error"]["details"]["errors"][0]["record"] == 96
    assert not Item.objects.filter(project=project).exists()


# --- Label Studio and COCO --------------------------------------------------------------------------------


def test_label_studio_tasks_become_items_with_prelabels(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    tasks = [
        {
            "id": 7,
            "data": {"image": "/data/upload/1/cat.jpg", "width": 200, "height": 100},
            "annotations": [
                {
                    "result": [
                        {
                            "from_name": "label",
                            "to_name": "image",
                            "type": "rectanglelabels",
                            "original_width": 200,
                            "original_height": 100,
                            "value": {
                                "x": 10,
                                "y": 20,
                                "width": 50,
                                "height": 40,
                                "rectanglelabels": ["cat"],
                            },
                        }
                    ]
                }
            ],
        },
        {"id": 8, "data": {"image": "https://example.com/dog.jpg"}, "annotations": []},
    ]
    job = run_import(project, "label_studio", json.dumps(tasks).encode())
    assert job["result"]["created"] == 2, job
    first, second = items_of(project)
    assert first.data["_prelabels"] == {
        "boxes": [{"x": 20.0, "y": 20.0, "width": 100.0, "height": 40.0, "label": "cat"}]
    }
    assert "_prelabels" not in second.data


def test_coco_images_become_items_with_box_and_polygon_prelabels(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    coco = {
        "annotations": [
            {"id": 1, "image_id": 2, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0},
            {
                "id": 2,
                "image_id": 1,
                "category_id": 2,
                "bbox": [0, 0, 5, 5],
                "segmentation": [[0, 0, 5, 0, 5, 5]],
            },
        ],
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
            {"id": 2, "file_name": "b.jpg", "width": 320, "height": 200},
            {"id": 3, "file_name": "c.jpg", "width": 10, "height": 10},
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }
    job = run_import(project, "coco", json.dumps(coco).encode())
    assert job["result"]["created"] == 3, job
    a, b, c = items_of(project)
    assert a.data == {
        "image": "a.jpg", "width": 640, "height": 480,
        "_prelabels": {"outline": [{"points": [[0.0, 0.0], [5.0, 0.0], [5.0, 5.0]], "label": "dog"}]},
    }  # fmt: skip
    assert b.data["_prelabels"] == {
        "boxes": [{"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0, "label": "cat"}]
    }
    assert "_prelabels" not in c.data


# --- media archives ---------------------------------------------------------------------------------------


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_of_images_stores_media_with_thumbnails(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    archive = make_zip({"photos/a.png": png(), "photos/b.dat": png(80, 60, "blue"), ".DS_Store": b"junk",
                        "__MACOSX/photos/._a.png": b"junk"})  # fmt: skip
    job = run_import(project, "zip", archive, "photos.zip")
    assert job["result"]["created"] == 2, job
    a, b = items_of(project)
    assert a.data["file_name"] == "photos/a.png"
    assert (a.data["width"], a.data["height"]) == (40, 30)
    assert b.data["image"].endswith(".png")  # the type comes from the content, not the name
    for item in (a, b):
        assert default_storage.exists(item.data["image"])
        with default_storage.open(item.data["thumbnail"]) as thumb, Image.open(thumb) as image:
            assert image.format == "JPEG" and max(image.size) <= 256
    assert run_import(project, "zip", archive, "photos.zip")["result"]["created"] == 0


def test_zip_path_traversal_is_refused(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]], media_root: Any
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    job = run_import(project, "zip", make_zip({"ok.png": png(), "../../evil.png": png()}), "evil.zip")
    assert job["state"] == "failed"
    assert job["error"]["code"] == "unsafe_archive"
    assert job["error"]["details"]["errors"][0]["file"] == "../../evil.png"
    assert not Item.objects.filter(project=project).exists()
    # the good file stored before the refusal is gone again
    assert not list(media_root.rglob("*.png"))


def test_zip_bomb_is_refused(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]]
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    bomb = make_zip({"bomb.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 5_000_000})
    assert len(bomb) < 20_000
    job = run_import(project, "zip", bomb, "bomb.zip")
    assert job["state"] == "failed"
    assert job["error"]["code"] == "unsafe_archive"
    assert "zip bomb" in job["error"]["details"]["errors"][0]["error"]


def test_zip_limits_and_types(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]], settings: Any
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    settings.DURE = {**settings.DURE, "IMPORT_MAX_MEDIA_BYTES": 100}
    job = run_import(project, "zip", make_zip({"big.png": png(200, 200), "note.txt": b"hello"}))
    errors = job["error"]["details"]["errors"]
    assert errors[0] == {"record": 1, "file": "big.png", "error": "The file is larger than allowed."}
    assert errors[1]["file"] == "note.txt" and "not a supported" in errors[1]["error"]
    assert run_import(project, "zip", b"not a zip")["error"]["details"]["errors"][0]["error"] == (
        "The file is not a readable zip archive."
    )


# --- a cloud bucket, against moto's real S3-compatible HTTP server -----------------------------------------


@pytest.fixture
def s3_server(settings: Any) -> Any:
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    settings.DURE_IMPORT_S3 = {"endpoint_url": endpoint, "access_key": "test", "secret_key": "test",
                               "region_name": "us-east-1"}  # fmt: skip
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")  # fmt: skip
    try:
        yield client
    finally:
        server.stop()


def test_bucket_prefix_import_against_a_real_s3_server(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]], s3_server: Any
) -> None:
    project = make_project(spec=IMAGE_SPEC)
    s3_server.create_bucket(Bucket="photos")
    s3_server.put_object(Bucket="photos", Key="batch1/a.png", Body=png())
    s3_server.put_object(Bucket="photos", Key="batch1/b.jpg", Body=png(10, 10))
    s3_server.put_object(Bucket="photos", Key="batch1/.DS_Store", Body=b"junk")
    s3_server.put_object(Bucket="photos", Key="other/c.png", Body=png())
    job = run_import(project, "s3", url="s3://photos/batch1/")
    assert job["state"] == "succeeded", job
    assert job["result"]["created"] == 2
    assert sorted(i.data["image"] for i in items_of(project)) == [
        "s3://photos/batch1/a.png",
        "s3://photos/batch1/b.jpg",
    ]
    assert run_import(project, "s3", url="s3://photos/batch1/")["result"]["created"] == 0
    s3_server.put_object(Bucket="photos", Key="batch1/notes.txt", Body=b"hello")
    failed = run_import(project, "s3", url="s3://photos/batch1/")
    assert failed["state"] == "failed"
    assert failed["error"]["details"]["errors"][0]["file"] == "batch1/notes.txt"
