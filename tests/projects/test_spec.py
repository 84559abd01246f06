"""The interface spec: which specs are valid, which answers and item data match them, and that junk never
crashes the validator (it answers with its own errors, never a KeyError or TypeError that would be a 500)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dure.core.errors import InvalidInput
from dure.projects.spec import answer_errors, item_data_errors, parse_spec, validate_answer
from dure.work.models import Item

FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# One output of every kind, on the inputs they annotate.
FULL_SPEC: dict[str, Any] = {
    "inputs": [
        {"name": "text", "type": "text"},
        {"name": "image", "type": "image"},
        {"name": "audio", "type": "audio", "required": False},
        {"name": "duration", "type": "number", "required": False},
        {"name": "width", "type": "number", "required": False},
        {"name": "height", "type": "number", "required": False},
    ],
    "outputs": [
        {"name": "sentiment", "type": "single_choice", "options": ["pos", "neg", {"value": "neu", "hotkey": "3"}]},
        {"name": "topics", "type": "multi_choice", "options": ["a", "b", "c"], "min_selected": 1, "max_selected": 2},
        {"name": "summary", "type": "text", "min_length": 2, "max_length": 20},
        {"name": "age", "type": "number", "min": 0, "max": 120, "integer": True},
        {"name": "fluency", "type": "rating", "min": 1, "max": 5},
        {"name": "quality", "type": "rating", "min": 1, "max": 7, "criteria": ["helpful", "harmless"]},
        {"name": "preference", "type": "pairwise", "allow_tie": False, "strength": True, "require_rationale": True},
        {"name": "objects", "type": "boxes", "source": "image", "labels": ["cat", "dog"], "max_count": 5},
        {"name": "outline", "type": "polygons", "source": "image", "labels": ["road"], "required": False},
        {"name": "joints", "type": "keypoints", "source": "image", "required": False},
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "ORG"]},
        {"name": "plates", "type": "transcription_regions", "source": "image", "labels": ["plate"], "required": False},
        {"name": "segments", "type": "time_segments", "source": "audio", "transcribe": True, "allow_overlap": False, "required": False},
        {"name": "recording", "type": "file_upload", "max_bytes": 1000, "max_files": 2, "required": False},
    ],
}  # fmt: skip
DATA = {
    "text": "홍길동은 Acme에 다닌다",
    "image": "images/cat.jpg",
    "width": 640,
    "height": 480,
    "duration": 10.0,
}
ANSWER: dict[str, Any] = {
    "sentiment": "pos",
    "topics": ["a", "c"],
    "summary": "좋음",
    "age": 30,
    "fluency": 4,
    "quality": {"helpful": 7, "harmless": 1},
    "preference": {"choice": "a", "strength": 2, "rationale": "더 정확함"},
    "objects": [{"x": 10, "y": 20.5, "width": 100, "height": 50, "label": "cat"}],
    "outline": [{"points": [[0, 0], [10, 0], [10, 10]], "label": "road"}],
    "joints": [{"x": 1, "y": 2}],
    "entities": [{"start": 0, "end": 3, "label": "PER", "text": "홍길동"}, {"start": 5, "end": 9, "label": "ORG"}],
    "plates": [{"x": 1, "y": 1, "width": 10, "height": 5, "text": "12가3456", "label": "plate"}],
    "segments": [{"start": 0, "end": 2.5, "text": "안녕"}, {"start": 2.5, "end": 4, "text": "하세요"}],
    "recording": [{"path": "uploads/a.wav", "size": 999}],
}  # fmt: skip
SPEC = parse_spec(FULL_SPEC)


def with_spec(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(FULL_SPEC)
    for name, fields in changes.items():
        output = next(o for o in spec["outputs"] if o["name"] == name)
        output.update(fields)
    return spec


def errors_for(
    answer: dict[str, Any], data: dict[str, Any] | None = None, spec: Any = SPEC
) -> dict[str, str]:
    return {e["path"]: e["error"] for e in answer_errors(spec, answer, DATA if data is None else data)}


def changed(**changes: Any) -> dict[str, Any]:
    return {**ANSWER, **changes}


# --- specs ---------------------------------------------------------------------------------------------------


def test_the_full_spec_and_the_demo_specs_are_valid():
    assert [o.type for o in SPEC.outputs][:3] == ["single_choice", "multi_choice", "text"]
    assert SPEC.outputs[0].options[0].value == "pos", "plain strings are shorthand for options"


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({}, "inputs"),
        ({"inputs": [], "outputs": [{"name": "a", "type": "text"}]}, "inputs"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": []}, "outputs"),
        ({"inputs": [{"name": "t", "type": "hologram"}], "outputs": [{"name": "a", "type": "text"}]}, "inputs.0.type"),
        ({"inputs": [{"name": "1bad", "type": "text"}], "outputs": [{"name": "a", "type": "text"}]}, "inputs.0.name"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "telepathy"}]}, "outputs.0"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "text", "colour": "red"}]}, "outputs.0.text.colour"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "single_choice", "options": []}]}, "outputs.0.single_choice.options"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "single_choice", "options": ["x", "x"]}]}, "outputs.0.single_choice.options"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "single_choice", "options": [{"value": ""}]}]}, "outputs.0.single_choice.options.0.value"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "multi_choice", "options": ["x"], "min_selected": 2}]}, "outputs.0.multi_choice"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "multi_choice", "options": ["x", "y", "z"], "min_selected": 3, "max_selected": 2}]}, "outputs.0.multi_choice"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "text", "min_length": 10, "max_length": 5}]}, "outputs.0.text"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "number", "min": 5, "max": 1}]}, "outputs.0.number"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "rating", "min": 5, "max": 5}]}, "outputs.0.rating"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "rating", "criteria": ["x", "x"]}]}, "outputs.0.rating"),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "pairwise", "allow_tie": "maybe"}]}, "outputs.0.pairwise.allow_tie"),
        ({"inputs": [{"name": "i", "type": "image"}], "outputs": [{"name": "a", "type": "boxes", "min_count": 3, "max_count": 2}]}, "outputs.0.boxes"),
        ({"inputs": [{"name": "i", "type": "image"}], "outputs": [{"name": "a", "type": "boxes", "max_count": 0}]}, "outputs.0.boxes.max_count"),
        ({"inputs": [{"name": "i", "type": "image"}], "outputs": [{"name": "a", "type": "spans"}]}, ""),
        ({"inputs": [{"name": "i", "type": "image"}, {"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "spans", "source": "i"}]}, ""),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "time_segments"}]}, ""),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "text", "source": "nowhere"}]}, ""),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "file_upload", "max_files": 0}]}, "outputs.0.file_upload.max_files"),
        ({"inputs": [{"name": "t", "type": "text"}, {"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "text"}]}, ""),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "text"}, {"name": "a", "type": "number"}]}, ""),
        ({"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "a", "type": "text", "label": "x\u0000"}]}, "outputs[0].label"),
        ([1, 2, 3], ""),
        ("spec", ""),
        (None, ""),
    ],
)  # fmt: skip
def test_invalid_specs_are_rejected_with_a_path(spec, path):
    with pytest.raises(InvalidInput) as raised:
        parse_spec(spec)
    errors = raised.value.details["errors"]
    assert errors and all(set(e) == {"path", "error"} and e["error"] for e in errors)
    assert any(e["path"] == path for e in errors), errors


@pytest.mark.parametrize(
    "output",
    [
        {"name": "a", "type": "single_choice", "options": ["x"]},
        {"name": "a", "type": "multi_choice", "options": ["x", "y"], "min_selected": 2},
        {"name": "a", "type": "transcription", "source": "audio"},
        {"name": "a", "type": "number", "min": -1.5, "max": -1.5},
        {"name": "a", "type": "rating", "min": -3, "max": 3, "criteria": [{"value": "x", "label": "X"}]},
        {"name": "a", "type": "pairwise"},
        {"name": "a", "type": "boxes", "source": "image", "min_count": 1, "max_count": 1},
        {"name": "a", "type": "keypoints", "labels": [{"value": "nose", "hotkey": "n"}]},
        {"name": "a", "type": "spans", "allow_overlap": True},
        {"name": "a", "type": "time_segments", "speakers": True},
        {"name": "a", "type": "transcription_regions"},
        {"name": "a", "type": "file_upload", "accept": ["audio/*"], "max_files": 100},
    ],
)
def test_valid_outputs_are_accepted(output):
    spec = parse_spec(
        {
            "inputs": [
                {"name": "text", "type": "text"},
                {"name": "image", "type": "image"},
                {"name": "audio", "type": "audio"},
            ],
            "outputs": [output],
        }
    )
    assert spec.outputs[0].name == "a"


# --- answers -------------------------------------------------------------------------------------------------


def test_a_full_valid_answer_is_accepted():
    assert errors_for(ANSWER) == {}
    validate_answer(SPEC, ANSWER, DATA)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"sentiment": "maybe"}, "sentiment"),
        ({"sentiment": ["pos"]}, "sentiment"),
        ({"sentiment": {"value": "pos"}}, "sentiment"),
        ({"topics": ["a", "a"]}, "topics"),
        ({"topics": ["a", "b", "c"]}, "topics"),
        ({"topics": ["z"]}, "topics"),
        ({"topics": "a"}, "topics"),
        ({"topics": [1]}, "topics"),
        ({"summary": "x"}, "summary"),
        ({"summary": "x" * 21}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"summary": 5}, "summary"),
        ({"age": 121}, "age"),
        ({"age": -1}, "age"),
        ({"age": 30.5}, "age"),
        ({"age": True}, "age"),
        ({"age": "30"}, "age"),
        ({"age": 10**400}, "age"),
        ({"fluency": 6}, "fluency"),
        ({"fluency": 0}, "fluency"),
        ({"fluency": 3.5}, "fluency"),
        ({"fluency": True}, "fluency"),
        ({"quality": {"helpful": 7}}, "quality.harmless"),
        ({"quality": {"helpful": 8, "harmless": 1}}, "quality.helpful"),
        ({"quality": {"helpful": 7, "harmless": 1, "funny": 3}}, "quality.funny"),
        ({"quality": 5}, "quality"),
        ({"preference": {"choice": "tie", "strength": 1, "rationale": "x"}}, "preference.choice"),
        ({"preference": {"choice": ["a"], "strength": 1, "rationale": "x"}}, "preference.choice"),
        ({"preference": {"choice": "a", "strength": 4, "rationale": "x"}}, "preference.strength"),
        ({"preference": {"choice": "a", "strength": 2, "rationale": " "}}, "preference.rationale"),
        ({"preference": {"choice": "a", "strength": 2, "rationale": "x", "extra": 1}}, "preference.extra"),
        ({"preference": "a"}, "preference"),
        ({"objects": [{"x": 600, "y": 20, "width": 100, "height": 50, "label": "cat"}]}, "objects[0]"),
        ({"objects": [{"x": 10, "y": 470, "width": 10, "height": 11, "label": "cat"}]}, "objects[0]"),
        ({"objects": [{"x": -1, "y": 20, "width": 100, "height": 50, "label": "cat"}]}, "objects[0]"),
        ({"objects": [{"x": 1, "y": 20, "width": 0, "height": 50, "label": "cat"}]}, "objects[0]"),
        ({"objects": [{"x": 1, "y": 20, "width": "5", "height": 50, "label": "cat"}]}, "objects[0].width"),
        ({"objects": [{"x": 1, "y": 2, "width": 5, "height": 5, "label": "bird"}]}, "objects[0].label"),
        ({"objects": [{"x": 1, "y": 2, "width": 5, "height": 5, "label": ["cat"]}]}, "objects[0].label"),
        ({"objects": [{"x": 1, "y": 2, "width": 5, "height": 5}]}, "objects[0].label"),
        ({"objects": [{"x": 1, "y": 2, "width": 5, "height": 5, "label": "cat"}] * 6}, "objects"),
        ({"objects": ["box"]}, "objects[0]"),
        ({"objects": {"x": 1}}, "objects"),
        ({"outline": [{"points": [[0, 0], [1, 1]], "label": "road"}]}, "outline[0].points"),
        ({"outline": [{"points": [[0, 0], [1, 1], [641, 1]], "label": "road"}]}, "outline[0].points[2]"),
        ({"outline": [{"points": [[0, 0], [1, 1], [1]], "label": "road"}]}, "outline[0].points[2]"),
        ({"joints": [{"x": 1}]}, "joints[0]"),
        ({"joints": [{"x": 1, "y": 481}]}, "joints[0]"),
        ({"entities": [{"start": 0, "end": 99, "label": "PER"}]}, "entities[0]"),
        ({"entities": [{"start": 3, "end": 3, "label": "PER"}]}, "entities[0]"),
        ({"entities": [{"start": -1, "end": 3, "label": "PER"}]}, "entities[0]"),
        ({"entities": [{"start": 0, "end": True, "label": "PER"}]}, "entities[0]"),
        ({"entities": [{"start": 0.0, "end": 3, "label": "PER"}]}, "entities[0]"),
        ({"entities": [{"start": 0, "end": 3, "label": "LOC"}]}, "entities[0].label"),
        ({"entities": [{"start": 0, "end": 3, "label": "PER", "text": "홍길"}]}, "entities[0].text"),
        ({"entities": [{"start": 0, "end": 3, "label": "PER"}, {"start": 2, "end": 5, "label": "ORG"}]}, "entities[1]"),
        ({"plates": [{"x": 1, "y": 1, "width": 10, "height": 5, "label": "plate"}]}, "plates[0].text"),
        ({"segments": [{"start": 2, "end": 1, "text": "x"}]}, "segments[0]"),
        ({"segments": [{"start": 9, "end": 11, "text": "x"}]}, "segments[0]"),
        ({"segments": [{"start": 0, "end": 1}]}, "segments[0].text"),
        ({"segments": [{"start": 0, "end": 2, "text": "a"}, {"start": 1, "end": 3, "text": "b"}]}, "segments[1]"),
        ({"recording": [{"path": "a.wav", "size": 1001}]}, "recording[0].size"),
        ({"recording": [{"path": "a.wav", "size": -1}]}, "recording[0].size"),
        ({"recording": [{"path": ""}]}, "recording[0]"),
        ({"recording": [{"path": "a"}, {"path": "b"}, {"path": "c"}]}, "recording"),
        ({"unknown_output": 1}, "unknown_output"),
        ({"sentiment": None}, "sentiment"),
        ({"summary": ""}, "summary"),
    ],
)  # fmt: skip
def test_invalid_answers_are_rejected_at_the_right_path(changes, path):
    errors = errors_for(changed(**changes))
    assert path in errors, errors
    assert errors[path]
    with pytest.raises(InvalidInput) as raised:
        validate_answer(SPEC, changed(**changes), DATA)
    assert raised.value.code == "invalid_input"
    assert raised.value.details["errors"]


def test_missing_required_answers_are_named():
    errors = errors_for({})
    required = {o.name for o in SPEC.outputs if o.required}
    assert required <= set(errors)
    assert not ({o.name for o in SPEC.outputs if not o.required} & set(errors))


def test_empty_lists_are_real_answers_for_markup_outputs():
    assert errors_for(changed(objects=[], entities=[])) == {}
    minimum = parse_spec(with_spec(objects={"min_count": 1}))
    assert "objects" in errors_for(changed(objects=[]), spec=minimum)


def test_overlapping_spans_are_allowed_when_the_project_says_so():
    overlapping = [{"start": 0, "end": 3, "label": "PER"}, {"start": 2, "end": 5, "label": "ORG"}]
    allowed = parse_spec(with_spec(entities={"allow_overlap": True}))
    assert errors_for(changed(entities=overlapping), spec=allowed) == {}


def test_shapes_are_only_bounded_when_the_item_gives_the_image_size():
    far = changed(objects=[{"x": 5000, "y": 5000, "width": 10, "height": 10, "label": "cat"}])
    assert "objects[0]" in errors_for(far)
    assert errors_for(far, data={"text": DATA["text"], "image": "a.jpg"}) == {}
    edge = changed(objects=[{"x": 540, "y": 430, "width": 100, "height": 50, "label": "cat"}])
    assert errors_for(edge) == {}, "a box may touch the border"


def test_ties_are_allowed_by_default():
    spec = parse_spec(
        {"inputs": [{"name": "t", "type": "text"}], "outputs": [{"name": "p", "type": "pairwise"}]}
    )
    assert errors_for({"p": {"choice": "tie"}}, spec=spec) == {}
    assert "p.choice" in errors_for({"p": {"choice": "c"}}, spec=spec)


@pytest.mark.parametrize("answer", [None, [], "answer", 3, [ANSWER]])
def test_an_answer_that_is_not_an_object_is_one_error(answer):
    errors = answer_errors(SPEC, answer, DATA)
    assert [e["path"] for e in errors] == ["answer"]


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), "a\u0000b", "\ud800", {"k\u0000": 1}, nested(100)],
    ids=["nan", "inf", "nul", "surrogate", "nul-key", "deep"],
)
@pytest.mark.parametrize("where", ["summary", "inside-an-entry"])
def test_answers_that_cannot_be_stored_are_rejected(value, where):
    if where == "summary":
        answer = changed(summary=value)
    else:
        answer = changed(recording=[{"path": "a.wav", "meta": value}])
    errors = answer_errors(SPEC, answer, DATA)
    assert errors, answer
    if where == "inside-an-entry":
        assert errors[0]["path"].startswith("recording[0]")


def test_errors_are_capped():
    many = changed(objects=[{"x": -1, "y": -1, "width": 0, "height": 0, "label": "x"}] * 5, topics=["z"])
    many["outline"] = [{"points": [[-1, -1]] * 500, "label": "road"}]
    assert len(answer_errors(SPEC, many, DATA)) == 100


# --- item data -----------------------------------------------------------------------------------------------


def test_valid_item_data_is_accepted():
    assert item_data_errors(SPEC, DATA) == []
    assert (
        item_data_errors(SPEC, {**DATA, "image": "https://example.com/a.png", "extra": {"any": [1, "x"]}})
        == []
    )
    assert item_data_errors(SPEC, {**DATA, "image": "s3://bucket/key.jpg", "duration": 3}) == []


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"image": "a.jpg"}, "data.text"),
        ({**DATA, "text": ""}, "data.text"),
        ({**DATA, "text": None}, "data.text"),
        ({**DATA, "text": 5}, "data.text"),
        ({**DATA, "image": "not a url"}, "data.image"),
        ({**DATA, "image": 5}, "data.image"),
        ({**DATA, "duration": "10"}, "data.duration"),
        ({**DATA, "duration": True}, "data.duration"),
        ({**DATA, "duration": float("nan")}, "data.duration"),
        ({**DATA, "duration": 10**400}, "data.duration"),
        ({**DATA, "note": "a\u0000b"}, "data.note"),
        ({**DATA, "note": float("inf")}, "data.note"),
        ({**DATA, "note": "\udfff"}, "data.note"),
        ([DATA], "data"),
        ("text", "data"),
        (None, "data"),
    ],
)  # fmt: skip
def test_invalid_item_data_is_named(data, path):
    errors = item_data_errors(SPEC, data)
    assert any(e["path"] == path for e in errors), errors


# --- properties ----------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
OUTPUT_NAMES = [o.name for o in SPEC.outputs]
# Junk at the top level, and junk in place of each single output next to otherwise good answers.
JUNK_ANSWERS = JSON | st.dictionaries(st.sampled_from([*OUTPUT_NAMES, "x"]), JSON, max_size=6).map(
    lambda junk: {**ANSWER, **junk}
)
# Junk inside the entries of list outputs: the shapes most likely to hit a missing key or a wrong type.
JUNK_ENTRIES = st.builds(
    lambda name, entries: {**ANSWER, name: entries},
    st.sampled_from(["objects", "outline", "joints", "entities", "plates", "segments", "recording", "quality", "preference"]),
    st.lists(JSON | st.dictionaries(st.sampled_from(["x", "y", "width", "height", "label", "points", "start", "end", "text", "path", "size", "choice", "strength", "rationale", "helpful", "harmless", "speaker"]), JSON, max_size=8), max_size=4),
)  # fmt: skip


@FUZZ
@given(
    answer=JUNK_ANSWERS | JUNK_ENTRIES,
    data=st.one_of(
        st.just(DATA),
        st.dictionaries(st.sampled_from(["text", "width", "height", "duration", "image"]), JSON),
    ),
)
def test_junk_answers_never_crash_the_validator(answer, data):  # fmt: skip
    errors = answer_errors(SPEC, answer, data)
    assert isinstance(errors, list) and len(errors) <= 100
    assert all(set(e) == {"path", "error"} and isinstance(e["path"], str) and e["error"] for e in errors)
    try:
        validate_answer(SPEC, answer, data)
    except InvalidInput as error:
        assert error.details["errors"] == errors
    else:
        assert errors == []


@FUZZ
@given(
    document=JSON
    | st.fixed_dictionaries({"inputs": JSON, "outputs": JSON})
    | st.fixed_dictionaries(
        {
            "inputs": st.just(FULL_SPEC["inputs"]),
            "outputs": st.lists(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "name",
                            "type",
                            "options",
                            "labels",
                            "min",
                            "max",
                            "criteria",
                            "source",
                            "min_count",
                            "max_count",
                            "required",
                        ]
                    ),
                    JSON,
                ),
                max_size=3,
            ),
        }
    )
)
def test_junk_specs_are_rejected_cleanly(document):  # fmt: skip
    try:
        parse_spec(document)
    except InvalidInput as error:
        assert error.details["errors"]


@FUZZ
@given(data=JSON)
def test_junk_item_data_never_crashes(data):
    errors = item_data_errors(SPEC, data)
    assert isinstance(errors, list)
    assert all(e["path"].startswith("data") for e in errors)


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


def storable_text(**kwargs):
    """Text a database can store: no NUL, no lone surrogates (those are refused, and tested, elsewhere)."""
    return st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), **kwargs
    )


@st.composite
def valid_answers(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    text = draw(
        st.text(min_size=1, max_size=40).filter(
            lambda s: "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
        )
    )
    width, height = draw(st.floats(1, 4000)), draw(st.floats(1, 4000))
    duration = draw(st.floats(1, 3600))
    data = {"text": text, "image": "images/x.png", "width": width, "height": height, "duration": duration}

    def box() -> dict[str, Any]:
        x, y = draw(st.floats(0, width * 0.9)), draw(st.floats(0, height * 0.9))
        w, h = (
            draw(st.floats(min(1e-3, width - x), width - x)),
            draw(st.floats(min(1e-3, height - y), height - y)),
        )
        return {"x": x, "y": y, "width": w, "height": h}

    def point() -> list[float]:
        return [draw(st.floats(0, width)), draw(st.floats(0, height))]

    cuts = sorted(draw(st.sets(st.integers(0, len(text)), min_size=0, max_size=6)))
    spans = [
        {
            "start": a,
            "end": b,
            "label": draw(st.sampled_from(["PER", "ORG"])),
            **({"text": text[a:b]} if draw(st.booleans()) else {}),
        }
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        if a < b
    ]
    times = sorted(draw(st.sets(st.floats(0, duration), max_size=6)))
    segments = [
        {"start": a, "end": b, "text": draw(storable_text(max_size=5))}
        for a, b in zip(times[::2], times[1::2], strict=False)
        if a < b
    ]
    answer = {
        "sentiment": draw(st.sampled_from(["pos", "neg", "neu"])),
        "topics": draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=2, unique=True)),
        "summary": draw(storable_text(min_size=2, max_size=20).filter(str.strip)),
        "age": draw(st.integers(0, 120)),
        "fluency": draw(st.integers(1, 5)),
        "quality": {"helpful": draw(st.integers(1, 7)), "harmless": draw(st.integers(1, 7))},
        "preference": {"choice": draw(st.sampled_from(["a", "b"])), "strength": draw(st.integers(1, 3)), "rationale": "이유"},
        "objects": [{**box(), "label": draw(st.sampled_from(["cat", "dog"]))} for _ in range(draw(st.integers(0, 5)))],
        "outline": [{"points": [point() for _ in range(draw(st.integers(3, 6)))], "label": "road"} for _ in range(draw(st.integers(0, 2)))],
        "joints": [dict(zip("xy", point(), strict=True)) for _ in range(draw(st.integers(0, 3)))],
        "entities": spans,
        "plates": [{**box(), "text": draw(storable_text(max_size=8)), "label": "plate"} for _ in range(draw(st.integers(0, 2)))],
        "segments": segments,
        "recording": [{"path": f"uploads/{i}.wav", "size": draw(st.integers(0, 1000))} for i in range(draw(st.integers(0, 2)))],
    }  # fmt: skip
    for name in draw(st.sets(st.sampled_from(["outline", "joints", "plates", "segments", "recording"]))):
        del answer[name]  # optional outputs may be left out
    return answer, data


@FUZZ
@given(case=valid_answers())
def test_random_valid_answers_are_accepted(case):
    answer, data = case
    assert answer_errors(SPEC, answer, data) == []


# --- over HTTP -----------------------------------------------------------------------------------------------


def test_creating_a_project_with_a_bad_spec_is_422_with_details(api, people):
    bad = with_spec(topics={"min_selected": 3, "max_selected": 2})
    response = api("manager").post("/projects", {"name": "Bad", "spec": bad})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"] == "The interface spec is not valid."
    assert body["details"]["errors"][0]["path"].startswith("outputs.1")

    good = api("manager").post("/projects", {"name": "Good", "spec": FULL_SPEC})
    assert good.status_code == 201, good.content


def test_patching_a_draft_project_with_a_bad_spec_is_422(make_project, api):
    project = make_project(status="draft")
    response = api("manager").patch(
        f"/projects/{project.pk}", {"spec": {"inputs": [], "outputs": []}}, lang="ko"
    )
    assert response.status_code == 422
    assert response.json()["message"] == "인터페이스 명세가 올바르지 않습니다."


def test_adding_items_that_do_not_match_the_inputs_is_422_and_writes_nothing(project, api):
    manager = api("manager")
    assert manager.post(f"/projects/{project.pk}/items", [{"text": "first"}]).status_code == 201
    records = [
        {"text": "ok"},
        {"text": 5},
        {"data": {"text": "fine"}, "external_id": "e3"},
        {"nope": "x"},
        "junk",
    ]
    response = manager.post(f"/projects/{project.pk}/items", records)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_items"
    assert [(e["record"], e["path"]) for e in body["details"]["errors"]] == [
        (2, "data.text"),
        (4, "data.text"),
        (5, "data"),
    ]
    assert Item.objects.filter(project=project).count() == 1


def test_adding_items_with_unstorable_values_names_the_record(project, api):
    raw = '[{"text": "ok"}, {"text": "fine", "score": NaN}]'
    response = api("manager").post(f"/projects/{project.pk}/items", raw=raw)
    assert response.status_code == 422, response.content
    assert response.json()["details"]["errors"][0]["record"] == 2
    assert Item.objects.filter(project=project).count() == 0
