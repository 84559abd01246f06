"""The interface spec: what an item carries (inputs) and what a worker produces (outputs).

The spec is a JSON document validated with pydantic when a project is saved. Answers are validated here
too, against the spec and the item's data (span offsets must fall inside the text they label), so every
client (browser workspace, SDK, integrations) gets the same rules and the same error paths.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from typing import Annotated, Any, Literal, TypeGuard

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dure.core.errors import InvalidInput
from dure.core.jsonsafe import storage_problem

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
MEDIA_INPUTS = {"image", "audio", "video", "document"}
INPUT_TYPES = Literal["text", "prompt", "image", "audio", "video", "document", "url", "number", "json"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Option(_Strict):
    value: str = Field(min_length=1, max_length=200)
    label: str = ""
    hotkey: str | None = Field(default=None, max_length=1)


def _options(value: Any) -> Any:
    """Options may be given as plain strings for brevity."""
    if isinstance(value, list):
        return [{"value": v} if isinstance(v, str) else v for v in value]
    return value


class InputField(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    type: INPUT_TYPES
    label: str = ""
    required: bool = True


class _Output(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    label: str = ""
    description: str = ""
    required: bool = True
    #: the input this output annotates (an image for boxes, a text for spans, an audio for segments)
    source: str | None = None


class _WithOptions(_Output):
    options: list[Option] = Field(min_length=1, max_length=1000)

    _normalise = field_validator("options", mode="before")(_options)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: list[Option]) -> list[Option]:
        values = [o.value for o in options]
        if len(set(values)) != len(values):
            raise ValueError("option values must be unique")
        return options


class SingleChoice(_WithOptions):
    type: Literal["single_choice"]


class MultiChoice(_WithOptions):
    type: Literal["multi_choice"]
    min_selected: int = Field(default=0, ge=0)
    max_selected: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _range(self) -> MultiChoice:
        if self.min_selected > len(self.options):
            raise ValueError("min_selected is more than the number of options")
        if self.max_selected is not None and self.min_selected > self.max_selected:
            raise ValueError("min_selected must not exceed max_selected")
        return self


class Text(_Output):
    type: Literal["text", "transcription"]
    min_length: int = Field(default=0, ge=0)
    max_length: int = Field(default=10_000, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _range(self) -> Text:
        if self.min_length > self.max_length:
            raise ValueError("min_length must not exceed max_length")
        return self


class Number(_Output):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _range(self) -> Number:
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("min and max must be finite")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Rating(_Output):
    type: Literal["rating"]
    min: int = 1
    max: int = 5
    criteria: list[Option] = Field(default_factory=list, max_length=50)

    _normalise = field_validator("criteria", mode="before")(_options)

    @model_validator(mode="after")
    def _range(self) -> Rating:
        if self.min >= self.max:
            raise ValueError("min must be below max")
        values = [c.value for c in self.criteria]
        if len(set(values)) != len(values):
            raise ValueError("criterion values must be unique")
        return self


class Pairwise(_Output):
    type: Literal["pairwise"]
    allow_tie: bool = True
    strength: bool = False
    require_rationale: bool = False


class _WithLabels(_Output):
    labels: list[Option] = Field(default_factory=list, max_length=1000)

    _normalise = field_validator("labels", mode="before")(_options)


class Boxes(_WithLabels):
    type: Literal["boxes", "polygons", "keypoints"]
    min_count: int = Field(default=0, ge=0)
    max_count: int = Field(default=10_000, ge=1)

    @model_validator(mode="after")
    def _range(self) -> Boxes:
        if self.min_count > self.max_count:
            raise ValueError("min_count must not exceed max_count")
        return self


class Spans(_WithLabels):
    type: Literal["spans"]
    allow_overlap: bool = False


class TranscriptionRegions(_Output):
    type: Literal["transcription_regions"]
    labels: list[Option] = Field(default_factory=list)
    max_count: int = Field(default=10_000, ge=1)

    _normalise = field_validator("labels", mode="before")(_options)


class TimeSegments(_WithLabels):
    type: Literal["time_segments"]
    transcribe: bool = False
    speakers: bool = False
    allow_overlap: bool = True


class FrameLabels(_WithLabels):
    """Frame-level classification of a video: every frame gets at most one class.

    The answer is a list of inclusive frame ranges ``{"start_frame", "end_frame", "label"}``; frame ``n``
    shows from ``n / fps`` seconds. The rate is ``fps`` here, else the item's ``fps``, else 30.
    """

    type: Literal["frame_labels"]
    fps: float | None = Field(default=None, gt=0, le=1000)

    @model_validator(mode="after")
    def _has_labels(self) -> FrameLabels:
        if not self.labels:
            raise ValueError("frame classification needs at least one label")
        return self


DEFAULT_FPS = 30.0


def frame_rate(output: FrameLabels, data: dict[str, Any]) -> float:
    """Frames per second for an item: the spec's, else the item's own (``fps`` in its data), else 30."""
    if output.fps:
        return output.fps
    fps = data.get("fps")
    if _is_number(fps) and 0 < fps <= 1000:
        return float(fps)
    return DEFAULT_FPS


def frame_count(output: FrameLabels, data: dict[str, Any]) -> int | None:
    """How many frames the video has, when the item gives its ``duration`` (seconds)."""
    duration = data.get("duration")
    if not _is_number(duration) or duration <= 0:
        return None
    # a frame that starts before the end is a frame; the epsilon keeps 12 s at 12 fps at 144, not 145
    return max(1, math.ceil(duration * frame_rate(output, data) - 1e-6))


class FileUpload(_Output):
    type: Literal["file_upload"]
    accept: list[str] = Field(default_factory=lambda: ["*/*"])
    max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    max_files: int = Field(default=1, ge=1, le=100)
    #: bounds on a recording's length, checked by the upload endpoint when the duration can be measured
    min_seconds: float | None = Field(default=None, ge=0)
    max_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _range(self) -> FileUpload:
        if (
            self.min_seconds is not None
            and self.max_seconds is not None
            and self.min_seconds > self.max_seconds
        ):
            raise ValueError("min_seconds must not exceed max_seconds")
        return self


OutputField = Annotated[
    SingleChoice
    | MultiChoice
    | Text
    | Number
    | Rating
    | Pairwise
    | Boxes
    | Spans
    | TranscriptionRegions
    | TimeSegments
    | FrameLabels
    | FileUpload,
    Field(discriminator="type"),
]


class InterfaceSpec(_Strict):
    inputs: list[InputField] = Field(min_length=1, max_length=50)
    outputs: list[OutputField] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _names(self) -> InterfaceSpec:
        for group in (self.inputs, self.outputs):
            names = [f.name for f in group]
            if len(set(names)) != len(names):
                raise ValueError("field names must be unique")
        input_types = {i.name: i.type for i in self.inputs}
        for output in self.outputs:
            if output.source is not None and output.source not in input_types:
                raise ValueError(f"output {output.name!r} names unknown source {output.source!r}")
            allowed = _SOURCE_TYPES.get(output.type)
            if allowed is None:
                continue
            if output.source is not None and input_types[output.source] not in allowed:
                raise ValueError(
                    f"output {output.name!r} needs a source of type {' or '.join(sorted(allowed))}"
                )
            if output.source is None and not any(t in allowed for t in input_types.values()):
                raise ValueError(
                    f"output {output.name!r} needs an input of type {' or '.join(sorted(allowed))}"
                )
        return self

    def input(self, name: str | None) -> InputField | None:
        return next((i for i in self.inputs if i.name == name), None)


#: Outputs that mark up an input only make sense on an input of the right kind.
_SOURCE_TYPES = {
    "spans": {"text", "prompt"},
    "time_segments": {"audio", "video"},
    "frame_labels": {"video"},
}


def parse_spec(document: Any) -> InterfaceSpec:
    problem = storage_problem(document)
    if problem is not None:
        raise InvalidInput(
            _("The interface spec is not valid."), errors=[{"path": problem[0], "error": problem[1]}]
        )
    try:
        return InterfaceSpec.model_validate(document)
    except ValidationError as error:
        raise InvalidInput(
            _("The interface spec is not valid."),
            errors=[
                {"path": ".".join(str(p) for p in e["loc"]), "error": e["msg"]}
                for e in error.errors(include_url=False)
            ][:100],
        ) from None


# --- item data -------------------------------------------------------------------------------------------

_URL_OR_PATH = re.compile(r"^(https?://|s3://|/|[\w.-]+/)[^\s]*$|^[\w.-]+\.\w+$")


def item_data_errors(spec: InterfaceSpec, data: Any) -> list[dict[str, str]]:
    if not isinstance(data, dict):
        return [{"path": "data", "error": _("Item data must be an object.")}]
    problem = storage_problem(data, path="data")
    if problem is not None:
        return [{"path": problem[0], "error": problem[1]}]
    errors = []
    for field in spec.inputs:
        value = data.get(field.name)
        if value is None or value == "":
            if field.required:
                errors.append({"path": f"data.{field.name}", "error": _("This input is required.")})
            continue
        if field.type in MEDIA_INPUTS or field.type == "url":
            if not isinstance(value, str) or not _URL_OR_PATH.match(value):
                errors.append({"path": f"data.{field.name}", "error": _("Expected a URL or storage path.")})
        elif field.type in {"text", "prompt"}:
            if not isinstance(value, str):
                errors.append({"path": f"data.{field.name}", "error": _("Expected text.")})
        elif field.type == "number" and not _is_number(value):
            errors.append({"path": f"data.{field.name}", "error": _("Expected a number.")})
    return errors


# --- answers ---------------------------------------------------------------------------------------------


class _Errors:
    """Problems found in an answer; each has a stable ``code`` for the automatic checks (dure.quality.checks)."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.codes: list[str] = []

    def add(self, path: str, message: str, code: str = "invalid_format") -> None:
        if len(self.items) < 100:
            self.items.append({"path": path, "error": message})
            self.codes.append(code)


def _is_number(value: Any) -> TypeGuard[float]:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        # JSON allows integers too big for a float; arithmetic with them would raise OverflowError.
        return -_FLOAT_MAX <= value <= _FLOAT_MAX
    return isinstance(value, float) and math.isfinite(value)


_FLOAT_MAX = sys.float_info.max


def _is_whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _one_of(value: Any, allowed: set[str]) -> bool:
    """Membership that cannot raise: a list or an object given as a choice is simply not one."""
    return isinstance(value, str) and value in allowed


def _check_label(errors: _Errors, path: str, labels: list[Option], value: Any, required: bool) -> None:
    if not labels:
        return
    if value is None and not required:
        return
    if not _one_of(value, {o.value for o in labels}):
        errors.add(path, _("Unknown label."), "not_allowed")


def _check_list(errors: _Errors, path: str, value: Any, max_count: int, min_count: int = 0) -> bool:
    if not isinstance(value, list):
        errors.add(path, _("Expected a list."))
        return False
    if len(value) > max_count:
        errors.add(path, _("Too many entries (at most %(n)d).") % {"n": max_count})
    if len(value) < min_count:
        errors.add(path, _("Too few entries (at least %(n)d).") % {"n": min_count})
    return True


#: the image's pixel size when the item data gives it (``width`` and ``height``), to keep shapes on it
Bounds = tuple[float, float] | None
#: shapes may touch the edge; a rounding error in a client must not reject a box drawn to the border
_EDGE = 1e-6


def image_bounds(data: dict[str, Any]) -> Bounds:
    width, height = data.get("width"), data.get("height")
    if _is_number(width) and _is_number(height) and width > 0 and height > 0:
        return float(width), float(height)
    return None


def _check_point(errors: _Errors, path: str, point: Any, bounds: Bounds) -> None:
    if not (isinstance(point, list) and len(point) == 2 and all(_is_number(c) for c in point)):
        errors.add(path, _("A point is [x, y] with two numbers."))
    elif point[0] < 0 or point[1] < 0:
        errors.add(path, _("Coordinates cannot be negative."))
    elif bounds is not None and (point[0] > bounds[0] + _EDGE or point[1] > bounds[1] + _EDGE):
        errors.add(path, _("The shape is outside the image."), "outside_image")


def _check_box(errors: _Errors, path: str, box: dict[str, Any], bounds: Bounds) -> None:
    for key in ("x", "y", "width", "height"):
        if not _is_number(box.get(key)):
            errors.add(f"{path}.{key}", _("Expected a number."))
            return
    if box["x"] < 0 or box["y"] < 0:
        errors.add(path, _("Coordinates cannot be negative."))
    elif box["width"] <= 0 or box["height"] <= 0:
        errors.add(path, _("Width and height must be positive."))
    elif bounds is not None and (
        box["x"] + box["width"] > bounds[0] + _EDGE or box["y"] + box["height"] > bounds[1] + _EDGE
    ):
        errors.add(path, _("The shape is outside the image."), "outside_image")


def _check_shape(errors: _Errors, path: str, kind: str, entry: dict[str, Any], bounds: Bounds) -> None:
    if kind == "boxes":
        _check_box(errors, path, entry, bounds)
    elif kind == "polygons":
        points = entry.get("points")
        if not isinstance(points, list) or len(points) < 3:
            errors.add(f"{path}.points", _("A polygon needs at least three points."))
        else:
            for j, point in enumerate(points[:10_000]):
                _check_point(errors, f"{path}.points[{j}]", point, bounds)
    else:  # keypoints
        _check_point(errors, path, [entry.get("x"), entry.get("y")], bounds)


def _check_output(
    errors: _Errors, spec: InterfaceSpec, output: Any, value: Any, data: dict[str, Any]
) -> None:
    path = output.name
    kind = output.type
    if kind == "single_choice":
        if not _one_of(value, {o.value for o in output.options}):
            errors.add(path, _("Choose one of the options."), "not_allowed")
    elif kind == "multi_choice":
        allowed = {o.value for o in output.options}
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.add(path, _("Expected a list of options."))
        elif len(set(value)) != len(value):
            errors.add(path, _("An option is chosen twice."))
        elif any(v not in allowed for v in value):
            errors.add(path, _("Choose only from the options."), "not_allowed")
        elif len(value) < output.min_selected or (output.max_selected and len(value) > output.max_selected):
            errors.add(path, _("The number of chosen options is out of range."))
    elif kind in {"text", "transcription"}:
        if not isinstance(value, str):
            errors.add(path, _("Expected text."))
        elif output.required and not value.strip():
            errors.add(path, _("This answer cannot be empty."), "empty_text")
        elif not output.min_length <= len(value) <= output.max_length:
            errors.add(path, _("The text length is out of range."))
    elif kind == "number":
        if not _is_number(value) or (output.integer and not isinstance(value, int)):
            errors.add(path, _("Expected a number."))
        elif (output.min is not None and value < output.min) or (
            output.max is not None and value > output.max
        ):
            errors.add(path, _("The number is out of range."), "out_of_range")
    elif kind == "rating":
        _check_rating(errors, path, output, value)
    elif kind == "pairwise":
        _check_pairwise(errors, path, output, value)
    elif kind in {"boxes", "polygons", "keypoints"}:
        if _check_list(errors, path, value, output.max_count, output.min_count):
            for i, entry in enumerate(value[:10_000]):
                entry_path = f"{path}[{i}]"
                if not isinstance(entry, dict):
                    errors.add(entry_path, _("Expected an object."))
                    continue
                _check_shape(errors, entry_path, kind, entry, image_bounds(data))
                _check_label(errors, f"{entry_path}.label", output.labels, entry.get("label"), True)
    elif kind == "spans":
        _check_spans(errors, spec, path, output, value, data)
    elif kind == "transcription_regions":
        if _check_list(errors, path, value, output.max_count):
            for i, entry in enumerate(value[:10_000]):
                entry_path = f"{path}[{i}]"
                if not isinstance(entry, dict):
                    errors.add(entry_path, _("Expected an object."))
                    continue
                shape = "polygons" if "points" in entry else "boxes"
                _check_shape(errors, entry_path, shape, entry, image_bounds(data))
                if not isinstance(entry.get("text"), str):
                    errors.add(f"{entry_path}.text", _("Expected text."))
                _check_label(errors, f"{entry_path}.label", output.labels, entry.get("label"), True)
    elif kind == "time_segments":
        _check_segments(errors, path, output, value, data)
    elif kind == "frame_labels":
        _check_frames(errors, path, output, value, data)
    elif kind == "file_upload":
        _check_files(errors, path, output, value)


def _check_rating(errors: _Errors, path: str, output: Rating, value: Any) -> None:
    def one(p: str, v: Any) -> None:
        if not _is_whole(v) or not output.min <= v <= output.max:
            errors.add(
                p,
                _("Give a whole number from %(min)d to %(max)d.") % {"min": output.min, "max": output.max},
                "rating_out_of_range",
            )

    if not output.criteria:
        one(path, value)
        return
    if not isinstance(value, dict):
        errors.add(path, _("Expected one rating per criterion."))
        return
    names = {c.value for c in output.criteria}
    for key in value:
        if key not in names:
            errors.add(f"{path}.{key}", _("Unknown criterion."), "not_allowed")
    for criterion in output.criteria:
        if criterion.value not in value:
            errors.add(f"{path}.{criterion.value}", _("This answer is required."), "required")
        else:
            one(f"{path}.{criterion.value}", value[criterion.value])


def _check_pairwise(errors: _Errors, path: str, output: Pairwise, value: Any) -> None:
    if not isinstance(value, dict):
        errors.add(path, _("Expected an object with a choice."))
        return
    allowed = {"a", "b", "tie"} if output.allow_tie else {"a", "b"}
    if not _one_of(value.get("choice"), allowed):
        errors.add(f"{path}.choice", _("Choose one of the options."), "not_allowed")
    if output.strength:
        strength = value.get("strength")
        if not _is_whole(strength) or not 1 <= strength <= 3:
            errors.add(f"{path}.strength", _("Give a strength from 1 to 3."))
    rationale = value.get("rationale", "")
    if not isinstance(rationale, str):
        errors.add(f"{path}.rationale", _("Expected text."))
    elif output.require_rationale and not rationale.strip():
        errors.add(f"{path}.rationale", _("This answer cannot be empty."), "empty_text")
    for key in value:
        if key not in {"choice", "strength", "rationale"}:
            errors.add(f"{path}.{key}", _("Unknown field."))


def _check_spans(
    errors: _Errors, spec: InterfaceSpec, path: str, output: Spans, value: Any, data: dict[str, Any]
) -> None:
    if not _check_list(errors, path, value, 100_000):
        return
    source = spec.input(output.source) or next((i for i in spec.inputs if i.type in {"text", "prompt"}), None)
    text = data.get(source.name) if source else None
    length = len(text) if isinstance(text, str) else None
    ranges = []
    for i, entry in enumerate(value):
        entry_path = f"{path}[{i}]"
        if not isinstance(entry, dict):
            errors.add(entry_path, _("Expected an object."))
            continue
        start, end = entry.get("start"), entry.get("end")
        if not (_is_whole(start) and _is_whole(end)):
            errors.add(entry_path, _("start and end must be whole numbers."))
            continue
        if not 0 <= start < end or (length is not None and end > length):
            errors.add(entry_path, _("The span is outside the text."), "span_outside_text")
            continue
        if "text" in entry and isinstance(text, str) and entry["text"] != text[start:end]:
            errors.add(
                f"{entry_path}.text", _("The span text does not match the item text."), "span_text_mismatch"
            )
        _check_label(errors, f"{entry_path}.label", output.labels, entry.get("label"), True)
        ranges.append((start, end, i))
    if not output.allow_overlap:
        ranges.sort()
        for (_s1, e1, _i1), (s2, _e2, i2) in itertools.pairwise(ranges):
            if s2 < e1:
                errors.add(f"{path}[{i2}]", _("Spans may not overlap in this project."))


def _check_segments(
    errors: _Errors, path: str, output: TimeSegments, value: Any, data: dict[str, Any]
) -> None:
    if not _check_list(errors, path, value, 100_000):
        return
    duration = data.get("duration")
    ranges = []
    for i, entry in enumerate(value):
        entry_path = f"{path}[{i}]"
        if not isinstance(entry, dict):
            errors.add(entry_path, _("Expected an object."))
            continue
        start, end = entry.get("start"), entry.get("end")
        if not (_is_number(start) and _is_number(end)) or not 0 <= start < end:
            errors.add(entry_path, _("A segment needs 0 ≤ start < end, in seconds."))
            continue
        if _is_number(duration) and end > duration + _EDGE:
            errors.add(entry_path, _("The segment ends after the recording."), "outside_media")
        if output.transcribe and not isinstance(entry.get("text"), str):
            errors.add(f"{entry_path}.text", _("Expected text."))
        if output.speakers and "speaker" in entry and not isinstance(entry["speaker"], str):
            errors.add(f"{entry_path}.speaker", _("Expected text."))
        _check_label(errors, f"{entry_path}.label", output.labels, entry.get("label"), not output.transcribe)
        ranges.append((start, end, i))
    if not output.allow_overlap:
        ranges.sort()
        for (_s1, e1, _i1), (s2, _e2, i2) in itertools.pairwise(ranges):
            if s2 < e1:
                errors.add(f"{path}[{i2}]", _("Segments may not overlap in this project."))


def _check_frames(errors: _Errors, path: str, output: FrameLabels, value: Any, data: dict[str, Any]) -> None:
    if not _check_list(errors, path, value, 100_000):
        return
    frames = frame_count(output, data)
    ranges = []
    for i, entry in enumerate(value):
        entry_path = f"{path}[{i}]"
        if not isinstance(entry, dict):
            errors.add(entry_path, _("Expected an object."))
            continue
        for key in entry:
            if key not in {"start_frame", "end_frame", "label"}:
                errors.add(f"{entry_path}.{key}", _("Unknown field."))
        start, end = entry.get("start_frame"), entry.get("end_frame")
        if not (_is_whole(start) and _is_whole(end)) or not 0 <= start <= end:
            errors.add(entry_path, _("A frame range needs whole frame numbers with 0 ≤ start ≤ end."))
            continue
        if frames is not None and end >= frames:
            errors.add(
                entry_path,
                _("The video has %(n)d frames (numbered from 0).") % {"n": frames},
                "outside_media",
            )
        _check_label(errors, f"{entry_path}.label", output.labels, entry.get("label"), True)
        ranges.append((start, end, i))
    ranges.sort()
    for (_s1, e1, _i1), (s2, _e2, i2) in itertools.pairwise(ranges):
        if s2 <= e1:
            errors.add(f"{path}[{i2}]", _("A frame can have only one class: these ranges overlap."))


def _check_files(errors: _Errors, path: str, output: FileUpload, value: Any) -> None:
    if not _check_list(errors, path, value, output.max_files):
        return
    for i, entry in enumerate(value):
        entry_path = f"{path}[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not entry["path"]:
            errors.add(entry_path, _("Expected an uploaded file reference."))
            continue
        if not _is_storage_path(entry["path"]):
            errors.add(f"{entry_path}.path", _("Expected a storage path from the upload endpoint."))
        size = entry.get("size")
        if size is not None and (not _is_whole(size) or size < 0 or size > output.max_bytes):
            errors.add(f"{entry_path}.size", _("The file is too large."))
        duration = entry.get("duration_seconds")
        if duration is not None and not _is_number(duration):
            errors.add(f"{entry_path}.duration_seconds", _("Expected a number."))
        elif duration is not None and (
            (output.min_seconds is not None and duration < output.min_seconds)
            or (output.max_seconds is not None and duration > output.max_seconds)
        ):
            errors.add(f"{entry_path}.duration_seconds", _("The recording length is out of range."))


def _is_storage_path(path: str) -> bool:
    """A relative path inside storage (what ``POST /assignments/{id}/files`` answers): no escaping it."""
    parts = path.split("/")
    return not path.startswith("/") and "\\" not in path and all(p not in {"", ".", ".."} for p in parts)


def answer_errors(spec: InterfaceSpec, answer: Any, data: dict[str, Any]) -> list[dict[str, str]]:
    return _answer_errors(spec, answer, data).items


def answer_problems(spec: InterfaceSpec, answer: Any, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The same problems as ``answer_errors``, as ``(code, path, message)``."""
    errors = _answer_errors(spec, answer, data)
    return [(code, e["path"], e["error"]) for code, e in zip(errors.codes, errors.items, strict=True)]


def _answer_errors(spec: InterfaceSpec, answer: Any, data: dict[str, Any]) -> _Errors:
    errors = _Errors()
    if not isinstance(answer, dict):
        errors.add("answer", _("The answer must be an object keyed by output name."))
        return errors
    problem = storage_problem(answer)
    if problem is not None:
        errors.add(problem[0] or "answer", problem[1])
        return errors
    outputs = {o.name: o for o in spec.outputs}
    for key in answer:
        if key not in outputs:
            errors.add(key, _("Unknown output."), "unknown_output")
    for name, output in outputs.items():
        value = answer.get(name)
        if value is None or value == [] or value == "":
            empty_ok = (
                value == [] and output.type in _EMPTY_LIST_ALLOWED and getattr(output, "min_count", 0) == 0
            )
            if output.required and not empty_ok:
                errors.add(name, _("This answer is required."), "required")
            continue
        _check_output(errors, spec, output, value, data)
    return errors


# "Nothing to mark here" is a real answer: an image with no object, a sentence with no entity.
_EMPTY_LIST_ALLOWED = {"boxes", "polygons", "keypoints", "spans", "transcription_regions", "time_segments"}


def validate_answer(spec: InterfaceSpec, answer: Any, data: dict[str, Any]) -> None:
    errors = answer_errors(spec, answer, data)
    if errors:
        raise InvalidInput(_("The answer does not match the project's interface."), errors=errors)
