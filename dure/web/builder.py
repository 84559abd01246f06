"""The interface builder: form rows ⇄ the interface spec JSON that ``dure.projects.spec`` validates.

The builder is a plain HTML form (``in-N-…`` and ``out-N-…`` fields), so it works without JavaScript and
htmx only swaps the re-rendered rows in place. The server turns the rows into the spec, validates it with
``parse_spec`` and maps every error back to the row it belongs to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from dure.core.errors import InvalidInput
from dure.projects import spec as specs

INPUT_TYPES = [
    ("text", _("Text")),
    ("prompt", _("Prompt (LLM)")),
    ("image", _("Image")),
    ("audio", _("Audio")),
    ("video", _("Video")),
    ("document", _("Document")),
    ("url", _("Link")),
    ("number", _("Number")),
    ("json", _("JSON")),
]

OUTPUT_TYPES = [
    ("single_choice", _("Single choice")),
    ("multi_choice", _("Multiple choice")),
    ("text", _("Text answer")),
    ("transcription", _("Transcription")),
    ("number", _("Number")),
    ("rating", _("Rating (rubric)")),
    ("pairwise", _("Pairwise preference")),
    ("boxes", _("Bounding boxes")),
    ("polygons", _("Polygons")),
    ("keypoints", _("Keypoints")),
    ("spans", _("Text spans (NER)")),
    ("transcription_regions", _("OCR regions")),
    ("time_segments", _("Time segments")),
    ("frame_labels", _("Video frame classification")),
    ("file_upload", _("File upload (collection)")),
]

MODELS: dict[str, type[BaseModel]] = {
    "single_choice": specs.SingleChoice,
    "multi_choice": specs.MultiChoice,
    "text": specs.Text,
    "transcription": specs.Text,
    "number": specs.Number,
    "rating": specs.Rating,
    "pairwise": specs.Pairwise,
    "boxes": specs.Boxes,
    "polygons": specs.Boxes,
    "keypoints": specs.Boxes,
    "spans": specs.Spans,
    "transcription_regions": specs.TranscriptionRegions,
    "time_segments": specs.TimeSegments,
    "frame_labels": specs.FrameLabels,
    "file_upload": specs.FileUpload,
}


@dataclass(frozen=True)
class Param:
    key: str
    kind: str  # choices | int | float | bool | list
    label: Any
    help: Any = ""


_LABELS = Param("labels", "choices", _("Labels"), _("One per line: value | display label | hotkey"))
_OPTIONS = Param("options", "choices", _("Options"), _("One per line: value | display label | hotkey"))
_LENGTHS = [Param("min_length", "int", _("Minimum length")), Param("max_length", "int", _("Maximum length"))]
_COUNTS = [Param("min_count", "int", _("Minimum count")), Param("max_count", "int", _("Maximum count"))]

PARAMS: dict[str, list[Param]] = {
    "single_choice": [_OPTIONS],
    "multi_choice": [
        _OPTIONS,
        Param("min_selected", "int", _("Choose at least")),
        Param("max_selected", "int", _("Choose at most")),
    ],
    "text": _LENGTHS,
    "transcription": _LENGTHS,
    "number": [
        Param("min", "float", _("Minimum")),
        Param("max", "float", _("Maximum")),
        Param("integer", "bool", _("Whole numbers only")),
    ],
    "rating": [
        Param("min", "int", _("Lowest score")),
        Param("max", "int", _("Highest score")),
        Param(
            "criteria", "choices", _("Criteria"), _("One per line; leave empty for a single overall score")
        ),
    ],
    "pairwise": [
        Param("allow_tie", "bool", _("Allow a tie")),
        Param("strength", "bool", _("Ask for the strength (1 to 3)")),
        Param("require_rationale", "bool", _("Require a rationale")),
    ],
    "boxes": [_LABELS, *_COUNTS],
    "polygons": [_LABELS, *_COUNTS],
    "keypoints": [_LABELS, *_COUNTS],
    "spans": [_LABELS, Param("allow_overlap", "bool", _("Spans may overlap"))],
    "transcription_regions": [_LABELS, Param("max_count", "int", _("Maximum count"))],
    "time_segments": [
        _LABELS,
        Param("transcribe", "bool", _("Transcribe each segment")),
        Param("speakers", "bool", _("Name the speaker")),
        Param("allow_overlap", "bool", _("Segments may overlap")),
    ],
    "frame_labels": [
        _LABELS,
        Param("fps", "float", _("Frames per second"), _("Empty: the item's fps, else 30")),
    ],
    "file_upload": [
        Param("accept", "list", _("Accepted types"), _("Comma-separated: image/*, audio/wav, .png")),
        Param("max_bytes", "int", _("Largest file (bytes)")),
        Param("max_files", "int", _("Files per answer")),
        Param("min_seconds", "float", _("Shortest recording (seconds)")),
        Param("max_seconds", "float", _("Longest recording (seconds)")),
    ],
}

#: outputs that mark up one input, and which kinds of input they can mark up
SOURCE_TYPES = {
    "boxes": {"image"},
    "polygons": {"image"},
    "keypoints": {"image"},
    "transcription_regions": {"image"},
    "spans": {"text", "prompt"},
    "time_segments": {"audio", "video"},
    "frame_labels": {"video"},
}

DEFAULT_SPEC: dict[str, Any] = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "label", "type": "single_choice", "options": ["positive", "negative"]}],
}


@dataclass
class Row:
    name: str = ""
    type: str = ""
    label: str = ""
    description: str = ""
    required: bool = True
    source: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _default(output_type: str, key: str) -> Any:
    info = MODELS[output_type].model_fields.get(key)
    if info is None:
        return None
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None if info.is_required() else info.default


def _choices_text(values: Any) -> str:
    lines = []
    for value in values or []:
        if isinstance(value, str):
            lines.append(value)
        elif isinstance(value, dict):
            parts = [str(value.get("value", "")), str(value.get("label") or "")]
            if value.get("hotkey"):
                parts.append(str(value["hotkey"]))
            lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def _choices_value(text: str) -> list[Any]:
    values: list[Any] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        if len(parts) == 1:
            values.append(parts[0])
        else:
            option: dict[str, Any] = {"value": parts[0], "label": parts[1]}
            if len(parts) > 2 and parts[2]:
                option["hotkey"] = parts[2]
            values.append(option)
    return values


def _number(text: str, kind: str) -> Any:
    """An int or float from the form; text that is neither stays text, so validation names the field."""
    text = text.strip()
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else text


def _display(value: Any, param: Param) -> Any:
    if param.kind == "choices":
        return _choices_text(value)
    if param.kind == "list":
        return ", ".join(value or [])
    if param.kind == "bool":
        return bool(value)
    return "" if value is None else value


# --- spec → rows ------------------------------------------------------------------------------------------


def rows_from_spec(spec: dict[str, Any]) -> tuple[list[Row], list[Row]]:
    inputs = [
        Row(
            name=str(i.get("name", "")),
            type=str(i.get("type", "text")),
            label=str(i.get("label", "")),
            required=bool(i.get("required", True)),
        )
        for i in spec.get("inputs", [])
        if isinstance(i, dict)
    ]
    outputs = []
    for o in spec.get("outputs", []):
        if not isinstance(o, dict):
            continue
        kind = str(o.get("type", "single_choice"))
        params = {p.key: _display(o.get(p.key, _default(kind, p.key)), p) for p in PARAMS.get(kind, [])}
        outputs.append(
            Row(
                name=str(o.get("name", "")),
                type=kind,
                label=str(o.get("label", "")),
                description=str(o.get("description", "")),
                required=bool(o.get("required", True)),
                source=str(o.get("source") or ""),
                params=params,
            )
        )
    return inputs, outputs


# --- form → rows ------------------------------------------------------------------------------------------


def _count(data: QueryDict, prefix: str) -> int:
    try:
        return max(0, min(50, int(data.get(f"{prefix}-count", "0"))))
    except ValueError:
        return 0


def rows_from_form(data: QueryDict) -> tuple[list[Row], list[Row]]:
    inputs = [
        Row(
            name=data.get(f"in-{n}-name", "").strip(),
            type=data.get(f"in-{n}-type", "text"),
            label=data.get(f"in-{n}-label", "").strip(),
            required=f"in-{n}-required" in data,
        )
        for n in range(_count(data, "in"))
    ]
    outputs = []
    for n in range(_count(data, "out")):
        kind = data.get(f"out-{n}-type", "single_choice")
        if kind not in PARAMS:
            kind = "single_choice"
        params: dict[str, Any] = {}
        for param in PARAMS[kind]:
            name = f"out-{n}-p-{param.key}"
            if param.kind == "bool":
                # An unticked box is absent; a box that was not on the page (a new type) keeps its default.
                shown = f"out-{n}-shown-{param.key}" in data
                params[param.key] = name in data if shown else bool(_default(kind, param.key))
            elif name in data:
                params[param.key] = data.get(name, "")
            else:
                params[param.key] = _display(_default(kind, param.key), param)
        outputs.append(
            Row(
                name=data.get(f"out-{n}-name", "").strip(),
                type=kind,
                label=data.get(f"out-{n}-label", "").strip(),
                description=data.get(f"out-{n}-description", "").strip(),
                required=f"out-{n}-required" in data,
                source=data.get(f"out-{n}-source", "").strip(),
                params=params,
            )
        )
    return inputs, outputs


def apply_action(action: str, inputs: list[Row], outputs: list[Row]) -> None:
    """The builder's buttons: add or remove a row, move an output up."""
    if action == "add_input":
        inputs.append(Row(name=f"input_{len(inputs) + 1}", type="text"))
    elif action == "add_output":
        kind = "single_choice"
        outputs.append(
            Row(
                name=f"output_{len(outputs) + 1}",
                type=kind,
                params={p.key: _display(_default(kind, p.key), p) for p in PARAMS[kind]},
            )
        )
    elif action.startswith(("remove_input_", "remove_output_", "up_output_")):
        verb, _group, index = action.split("_", 2)
        rows = inputs if _group == "input" else outputs
        try:
            n = int(index)
        except ValueError:
            return
        if not 0 <= n < len(rows):
            return
        if verb == "remove":
            rows.pop(n)
        elif n > 0:
            rows[n - 1], rows[n] = rows[n], rows[n - 1]


# --- rows → spec ------------------------------------------------------------------------------------------


def spec_from_rows(inputs: list[Row], outputs: list[Row]) -> dict[str, Any]:
    spec_inputs = []
    for row in inputs:
        entry: dict[str, Any] = {"name": row.name, "type": row.type}
        if row.label:
            entry["label"] = row.label
        if not row.required:
            entry["required"] = False
        spec_inputs.append(entry)
    spec_outputs = []
    for row in outputs:
        out: dict[str, Any] = {"name": row.name, "type": row.type}
        if row.label:
            out["label"] = row.label
        if row.description:
            out["description"] = row.description
        if not row.required:
            out["required"] = False
        if row.source:
            out["source"] = row.source
        for param in PARAMS.get(row.type, []):
            value = row.params.get(param.key)
            default = _default(row.type, param.key)
            if param.kind == "choices":
                choices = _choices_value(str(value or ""))
                if choices or param.key == "options":
                    out[param.key] = choices
            elif param.kind == "list":
                accepted = [v.strip() for v in str(value or "").split(",") if v.strip()]
                if accepted and accepted != default:
                    out[param.key] = accepted
            elif param.kind == "bool":
                if bool(value) != bool(default):
                    out[param.key] = bool(value)
            elif str(value if value is not None else "").strip() != "":
                number = _number(str(value), param.kind)
                if number != default:
                    out[param.key] = number
        spec_outputs.append(out)
    return {"inputs": spec_inputs, "outputs": spec_outputs}


def validate(spec: dict[str, Any], inputs: list[Row], outputs: list[Row]) -> list[str]:
    """Validates with ``parse_spec``; puts each error on its row and answers the ones that fit no row."""
    try:
        specs.parse_spec(spec)
    except InvalidInput as error:
        general = []
        for problem in error.details.get("errors", []):
            path = str(problem.get("path", ""))
            message = str(problem.get("error", "")).removeprefix("Value error, ")
            parts = path.split(".")
            if len(parts) >= 2 and parts[0] in {"inputs", "outputs"} and parts[1].isdigit():
                rows = inputs if parts[0] == "inputs" else outputs
                index = int(parts[1])
                # the discriminated union puts the output type in the path: outputs.0.boxes.max_count
                where = [p for p in parts[2:] if p not in MODELS]
                if index < len(rows):
                    rows[index].errors.append(f"{'.'.join(where)}: {message}" if where else message)
                    continue
            general.append(f"{path}: {message}" if path else message)
        return general or ([] if any(r.errors for r in [*inputs, *outputs]) else [str(error.message)])
    return []


def spec_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2)


def context(
    inputs: list[Row], outputs: list[Row], *, errors: list[str] | None = None, frozen: bool = False
) -> dict:
    """What ``web/projects/_builder.html`` needs."""
    input_names = [(r.name, r.type) for r in inputs if r.name]
    return {
        "inputs": inputs,
        "outputs": [
            {
                "row": row,
                "params": [
                    {"param": p, "value": row.params.get(p.key, _display(_default(row.type, p.key), p))}
                    for p in PARAMS.get(row.type, [])
                ],
                "sources": [name for name, kind in input_names if kind in SOURCE_TYPES.get(row.type, set())],
            }
            for row in outputs
        ],
        "input_types": INPUT_TYPES,
        "output_types": OUTPUT_TYPES,
        "builder_errors": errors or [],
        "frozen": frozen,
    }
