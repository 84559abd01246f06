"""Scoring per answer type: known values, and hypothesis for the edges."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from dure.projects.spec import parse_spec
from dure.quality.scoring import (
    box_iou,
    character_error_rate,
    levenshtein,
    polygon_iou,
    score_answer,
    span_f1,
)
from tests.academy.factories import BOX_SPEC

coordinate = st.floats(min_value=0, max_value=1000, allow_nan=False)
size = st.floats(min_value=0.5, max_value=500, allow_nan=False)
boxes = st.builds(
    lambda x, y, w, h: {"x": x, "y": y, "width": w, "height": h}, coordinate, coordinate, size, size
)


def test_box_iou_known_values():
    a = {"x": 0, "y": 0, "width": 10, "height": 10}
    assert box_iou(a, a) == 1.0
    assert box_iou(a, {"x": 5, "y": 0, "width": 10, "height": 10}) == 50 / 150
    assert box_iou(a, {"x": 20, "y": 20, "width": 5, "height": 5}) == 0.0


@given(boxes, boxes)
def test_box_iou_is_symmetric_and_bounded(a, b):
    value = box_iou(a, b)
    assert 0.0 <= value <= 1.0 + 1e-12
    assert math.isclose(value, box_iou(b, a), abs_tol=1e-12)
    assert math.isclose(box_iou(a, a), 1.0)


@settings(max_examples=40, deadline=None)
@given(boxes, boxes)
def test_polygon_iou_agrees_with_box_iou(a, b):
    def points(box):
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]

    # rasterised: within a couple of grid cells of the exact value
    assert abs(polygon_iou(points(a), points(b)) - box_iou(a, b)) < 0.05


def test_polygon_iou_of_triangles():
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    triangle = [[0, 0], [10, 0], [0, 10]]
    assert abs(polygon_iou(square, triangle) - 0.5) < 0.02
    assert polygon_iou(square, [[0, 0], [0, 0], [0, 0]]) == 0.0


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@given(text, text)
def test_levenshtein_matches_the_textbook_definition(a, b):
    def reference(s, t):
        row = list(range(len(t) + 1))
        for i, cs in enumerate(s, 1):
            prev, row[0] = row[0], i
            for j, ct in enumerate(t, 1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (cs != ct))
        return row[-1]

    assert levenshtein(a, b) == reference(a, b)
    assert levenshtein(a, b) == levenshtein(b, a)


def test_character_error_rate_korean():
    assert character_error_rate("서울역", "서울역") == 0.0
    assert character_error_rate("서울역", "서울 역") == 1 / 3
    assert character_error_rate("", "") == 0.0
    assert character_error_rate("", "x") == 1.0
    assert character_error_rate("  서울   역 ", "서울 역") == 0.0  # whitespace collapsed


spans = st.lists(
    st.builds(
        lambda s, n, label: {"start": s, "end": s + n, "label": label},
        st.integers(0, 50),
        st.integers(1, 10),
        st.sampled_from(["PER", "ORG"]),
    ),
    max_size=6,
)


@given(spans, spans)
def test_span_f1_bounds(expected, given_spans):
    precision, recall, f1 = span_f1(expected, given_spans)
    assert 0 <= f1 <= 1 and 0 <= precision <= 1 and 0 <= recall <= 1
    assert span_f1(expected, expected)[2] == 1.0


def test_boxes_answer_feedback_names_missed_and_extra():
    spec = parse_spec(BOX_SPEC)
    expected = {
        "boxes": [
            {"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"},
            {"x": 100, "y": 10, "width": 20, "height": 60, "label": "person"},
        ]
    }
    given_answer = {
        "boxes": [
            {"x": 12, "y": 10, "width": 50, "height": 40, "label": "car"},
            {"x": 150, "y": 50, "width": 10, "height": 10, "label": "car"},
        ]
    }
    result = score_answer(spec, expected, given_answer)
    output = result.outputs[0]
    assert not result.correct
    assert output.detail["missed"] == [1] and output.detail["extra"] == [1]
    assert output.detail["matches"][0]["iou"] > 0.9
    assert 0.4 < output.score < 0.5
    perfect = score_answer(spec, expected, expected)
    assert perfect.correct and perfect.score == 1.0
    # "nothing to box" agrees with nothing boxed
    assert score_answer(spec, {"boxes": []}, {"boxes": []}).correct


def test_choice_number_rating_and_spans():
    spec = parse_spec(
        {
            "inputs": [{"name": "text", "type": "text"}],
            "outputs": [
                {"name": "label", "type": "single_choice", "options": ["a", "b"]},
                {"name": "tags", "type": "multi_choice", "options": ["x", "y", "z"]},
                {"name": "count", "type": "number"},
                {"name": "stars", "type": "rating"},
                {"name": "ents", "type": "spans", "labels": ["PER"]},
            ],
        }
    )
    expected = {
        "label": "a",
        "tags": ["x", "y"],
        "count": 3,
        "stars": 4,
        "ents": [{"start": 0, "end": 3, "label": "PER"}],
    }
    result = score_answer(
        spec,
        expected,
        {
            "label": "b",
            "tags": ["x"],
            "count": 3,
            "stars": 5,
            "ents": [{"start": 0, "end": 3, "label": "PER"}],
        },
    )
    by_name = {o.name: o for o in result.outputs}
    assert not by_name["label"].correct
    assert by_name["tags"].value == 0.5 and not by_name["tags"].correct
    assert by_name["count"].correct
    assert by_name["stars"].value == 1 and not by_name["stars"].correct
    assert by_name["ents"].correct and by_name["ents"].value == 1.0
    assert score_answer(spec, expected, {"count": 3.0001}, options={"tolerance": 0.01}).outputs[2].correct
    # nonsense given values score zero instead of raising
    assert (
        score_answer(
            spec, expected, {"label": [1], "tags": "x", "count": "3", "stars": None, "ents": None}
        ).score
        == 0.0
    )
