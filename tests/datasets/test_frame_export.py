"""Video frame classes leave as Label Studio TimelineLabels (frames counted from 1) and come back in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from dure.projects.models import Project
from dure.work.models import Item
from tests.datasets.conftest import jsonl, label_everything
from tests.projects.test_frame_labels import SPEC


def test_frame_labels_through_label_studio(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any
) -> None:
    project = make_project(spec=SPEC)
    assert (
        run_import(project, "jsonl", jsonl([{"video": "v/1.webm", "duration": 12}]))["result"]["created"] == 1
    )
    answer = {"frames": [{"start_frame": 0, "end_frame": 11, "label": "moving"},
                         {"start_frame": 12, "end_frame": 143, "label": "stopped"}]}  # fmt: skip
    label_everything(project, people["worker"], people["reviewer"], lambda _data: answer)
    _job, body = run_export(project, "label_studio")
    result = json.loads(body)[0]["annotations"][0]["result"]
    assert [r["value"] for r in result] == [
        {"ranges": [{"start": 1, "end": 12}], "timelinelabels": ["moving"]},
        {"ranges": [{"start": 13, "end": 144}], "timelinelabels": ["stopped"]},
    ]
    assert {r["type"] for r in result} == {"timelinelabels"} and result[0]["to_name"] == "video"
    again = make_project(spec=SPEC, name="again")
    assert run_import(again, "label_studio", body)["result"]["created"] == 1
    assert Item.objects.get(project=again).data["_prelabels"] == answer
