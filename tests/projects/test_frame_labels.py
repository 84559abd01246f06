"""Video frame classification (``frame_labels``): the spec, answer validation through the API, scoring
and agreement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dure.core.errors import InvalidInput
from dure.projects.models import Project
from dure.projects.spec import answer_problems, frame_count, frame_rate, parse_spec
from dure.quality.agreement import pair_agreement
from dure.quality.scoring import frame_agreement, score_answer
from dure.work.services import add_items
from tests.conftest import Api

SPEC = {
    "inputs": [{"name": "video", "type": "video"}, {"name": "duration", "type": "number", "required": False}],
    "outputs": [{"name": "frames", "type": "frame_labels", "source": "video", "fps": 12,
                 "labels": ["moving", "stopped"]}],
}  # fmt: skip
DATA = {"video": "demo/videos/traffic.webm", "duration": 12}


def _frames(*ranges: tuple[int, int, str]) -> list[dict[str, Any]]:
    return [{"start_frame": a, "end_frame": b, "label": label} for a, b, label in ranges]


def test_spec_needs_labels_a_video_and_a_sane_rate() -> None:
    parsed = parse_spec(SPEC)
    assert parsed.outputs[0].type == "frame_labels"
    bad = [
        {**SPEC, "outputs": [{**SPEC["outputs"][0], "labels": []}]},
        {**SPEC, "outputs": [{**SPEC["outputs"][0], "fps": 0}]},
        {"inputs": [{"name": "audio", "type": "audio"}],
         "outputs": [{"name": "frames", "type": "frame_labels", "labels": ["a"]}]},
    ]  # fmt: skip
    for spec in bad:
        with pytest.raises(InvalidInput):
            parse_spec(spec)


def test_frame_rate_from_the_spec_the_item_or_30() -> None:
    output = parse_spec(SPEC).outputs[0]
    assert frame_rate(output, {"fps": 25}) == 12 and frame_count(output, DATA) == 144
    unset = parse_spec({**SPEC, "outputs": [{**SPEC["outputs"][0], "fps": None}]}).outputs[0]
    assert frame_rate(unset, {"fps": 25}) == 25
    assert frame_rate(unset, {"fps": "fast"}) == 30 and frame_rate(unset, {}) == 30
    assert frame_count(unset, {"duration": 2.0, "fps": 29.97}) == 60
    assert frame_count(unset, {}) is None


@pytest.mark.parametrize(
    ("value", "code", "path"),
    [
        (_frames((0, 143, "moving")), None, None),
        (_frames((0, 144, "moving")), "outside_media", "frames[0]"),
        (_frames((0, 9, "flying")), "not_allowed", "frames[0].label"),
        (_frames((5, 4, "moving")), "invalid_format", "frames[0]"),
        ([{"start_frame": 1.5, "end_frame": 3, "label": "moving"}], "invalid_format", "frames[0]"),
        ([{"start_frame": 0, "end_frame": 3, "label": "moving", "colour": "red"}], "invalid_format",
         "frames[0].colour"),
        (_frames((0, 10, "moving"), (10, 20, "stopped")), "invalid_format", "frames[1]"),
        ([], "required", "frames"),
        ("0-10", "invalid_format", "frames"),
    ],
)  # fmt: skip
def test_answer_validation(value: Any, code: str | None, path: str | None) -> None:
    problems = answer_problems(parse_spec(SPEC), {"frames": value}, DATA)
    if code is None:
        assert problems == []
    else:
        assert (code, path) in [(c, p) for c, p, _m in problems], problems


def test_the_api_refuses_a_bad_answer_and_takes_a_good_one(
    make_project: Callable[..., Project], api: Callable[[str], Api]
) -> None:
    project = make_project(spec=SPEC)
    add_items(project=project, records=[{"data": DATA}])
    worker = api("worker")
    assignment = worker.post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    refused = worker.post(
        f"/assignments/{assignment['id']}/submit", {"answer": {"frames": _frames((0, 200, "moving"))}}
    )
    assert refused.status_code == 422
    assert refused.json()["details"]["errors"][0]["path"] == "frames[0]"
    assert "144 frames" in refused.json()["details"]["errors"][0]["error"]
    answer = {"frames": _frames((0, 47, "moving"), (48, 143, "stopped"))}
    taken = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": answer})
    assert taken.status_code == 201, taken.content


def test_scoring_counts_frames_alike_among_those_classified() -> None:
    spec = parse_spec(SPEC)
    expected = {"frames": _frames((0, 99, "moving"))}
    assert score_answer(spec, expected, expected).score == 1.0
    half = score_answer(spec, expected, {"frames": _frames((0, 49, "moving"), (50, 99, "stopped"))})
    assert half.score == 0.5 and not half.correct
    detail = half.outputs[0].detail
    assert detail["wrong"] == [[50, 99, "moving", "stopped"]] and detail["missed"] == []
    short = score_answer(spec, expected, {"frames": _frames((0, 89, "moving"))})
    assert short.score == 0.9 and short.correct
    assert short.outputs[0].detail["missed"] == [[90, 99, "moving", None]]
    extra = score_answer(spec, expected, {"frames": _frames((0, 99, "moving"), (100, 199, "stopped"))})
    assert extra.score == 0.5 and extra.outputs[0].detail["extra"] == [[100, 199, None, "stopped"]]


def test_agreement_between_two_workers() -> None:
    output = parse_spec(SPEC).outputs[0]
    a, b = _frames((0, 9, "moving")), _frames((0, 4, "moving"), (5, 9, "stopped"))
    assert pair_agreement(output, a, b) == {"agreement": 0.5, "accuracy": 0.5}
    assert pair_agreement(output, a, a)["agreement"] == 1.0


label_ranges = st.lists(
    st.tuples(st.integers(0, 500), st.integers(0, 50), st.sampled_from(["a", "b", "c"])), max_size=8
).map(lambda raw: _no_overlap([(start, start + length, label) for start, length, label in raw]))


def _no_overlap(ranges: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    taken: set[int] = set()
    kept = []
    for start, end, label in ranges:
        frames = set(range(start, end + 1))
        if not frames & taken:
            taken |= frames
            kept.append((start, end, label))
    return _frames(*kept)


def _per_frame(ranges: list[dict[str, Any]]) -> dict[int, str]:
    return {f: r["label"] for r in ranges for f in range(r["start_frame"], r["end_frame"] + 1)}


@given(label_ranges, label_ranges)
def test_frame_agreement_matches_counting_frame_by_frame(
    a: list[dict[str, Any]], b: list[dict[str, Any]]
) -> None:
    found = frame_agreement(a, b)
    first, second = _per_frame(a), _per_frame(b)
    frames = set(first) | set(second)
    assert found["union"] == len(frames)
    assert found["same"] == sum(1 for f in frames if first.get(f) == second.get(f))
    assert frame_agreement(b, a)["same"] == found["same"]
    for bucket, wanted in [("missed", lambda f: f in first and f not in second),
                           ("wrong", lambda f: f in first and f in second and first[f] != second[f]),
                           ("extra", lambda f: f not in first and f in second)]:  # fmt: skip
        counted = sum(r[1] - r[0] + 1 for r in found[bucket])
        assert counted == sum(1 for f in frames if wanted(f))


def test_the_work_page_carries_the_translated_strings(
    make_project: Callable[..., Project], people: dict[str, Any]
) -> None:
    from django.test import Client

    project = make_project(spec=SPEC)
    client = Client()
    client.force_login(people["worker"])
    page = client.get(f"/projects/{project.pk}/work/", headers={"Accept-Language": "ko"}).content.decode()
    assert '<script type="application/json" id="workspace-strings">' in page
    assert '"close": "' in page and '"frame_n": "' in page


def test_aggregation_votes_frame_by_frame_and_project_agreement_has_a_figure() -> None:
    from dure.quality.aggregation import Vote, aggregate_output
    from dure.quality.agreement import Answer, answers_agreement

    output = parse_spec(SPEC).outputs[0]
    votes = [
        Vote(1, _frames((0, 9, "moving"), (10, 19, "stopped")), 0.9),
        Vote(2, _frames((0, 14, "moving"), (15, 19, "stopped")), 0.6),
        Vote(3, _frames((0, 9, "moving")), 0.6),
    ]
    found = aggregate_output(output, votes)
    # frames 10-14: stopped (0.9) against moving (0.6) and no class (0.6); 15-19: stopped 1.5 against 0.6
    assert found.value == _frames((0, 9, "moving"), (10, 19, "stopped"))
    assert round(found.confidence, 4) == round(0.9 / 2.1, 4)
    figures = answers_agreement(
        parse_spec(SPEC), [Answer(7, 1, {"frames": votes[0].value}), Answer(7, 2, {"frames": votes[1].value})]
    )
    entry = figures["outputs"][0]
    assert entry["metric"] == "frame_accuracy" and entry["value"] == 0.75 and entry["pairs"] == 1
