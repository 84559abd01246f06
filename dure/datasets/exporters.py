"""Export formats. Each exporter takes rows from ``selectors.export_rows`` one at a time and writes them
to a local file, so memory holds one row (COCO and Label Studio spool to temporary files as they go)."""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
import tempfile
import zipfile
from datetime import date, datetime, time
from typing import IO, Any, ClassVar
from xml.sax.saxutils import escape

import orjson
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dure.datasets.readers import PRELABELS_KEY
from dure.projects.models import Project
from dure.projects.spec import InterfaceSpec


def parse_when(value: Any) -> datetime:
    """An ISO date (midnight in the server's time zone) or date and time."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError("not a date")
        moment = datetime.combine(day, time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes a row several times faster than ``json``; what it refuses (integers
    beyond 64 bits, lazy translations) goes through ``json`` instead, which writes the same text."""
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, default=_default, separators=(",", ":")).encode()


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != PRELABELS_KEY}


class Exporter:
    extension: ClassVar[str] = "bin"
    content_type: ClassVar[str] = "application/octet-stream"

    def __init__(
        self, *, spec: InterfaceSpec, out: IO[bytes], project: Project, summary: dict[str, Any]
    ) -> None:
        self.spec, self.out, self.project, self.summary = spec, out, project, summary
        #: what the job result should mention (items skipped for lack of a size, …)
        self.notes: dict[str, Any] = {}
        #: extra files an archive carries beside the data (the delivery certificate); set before ``close``
        self.attachments: dict[str, bytes] = {}

    @classmethod
    def not_applicable(cls, spec: InterfaceSpec) -> str | None:
        return None

    def write(self, row: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class JsonLinesExporter(Exporter):
    """Dure's own format: everything, including every answer version and its reviews."""

    extension = "jsonl"
    content_type = "application/x-ndjson"

    def write(self, row: dict[str, Any]) -> None:
        self.out.write(dumps_bytes(row) + b"\n")


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    return dumps(value)


class _Tabular(Exporter):
    """One row per approved answer (an item with overlap 3 gives three rows); unanswered items one row."""

    def columns(self) -> list[str]:
        inputs = [i.name for i in self.spec.inputs]
        outputs = [o.name if o.name not in inputs else f"answer.{o.name}" for o in self.spec.outputs]
        self._outputs = list(zip([o.name for o in self.spec.outputs], outputs, strict=True))
        return ["id", "external_id", "state", *inputs, *outputs, "slot", "version", "worker", "reviewer",
                "active_seconds", "submitted_at", "approved_at"]  # fmt: skip

    def records(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        base = {"id": row["id"], "external_id": row["external_id"], "state": row["state"]}
        for field in self.spec.inputs:
            base[field.name] = _cell(row["data"].get(field.name))
        out = []
        for answer in row["approved"] or [None]:
            record = dict(base)
            for name, column in self._outputs:
                record[column] = _cell(answer["answer"].get(name)) if answer else None
            for key in (
                "slot",
                "version",
                "worker",
                "reviewer",
                "active_seconds",
                "submitted_at",
                "approved_at",
            ):
                record[key] = answer[key] if answer else None
            out.append(record)
        return out


class CsvExporter(_Tabular):
    extension = "csv"
    content_type = "text/csv"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = io.TextIOWrapper(self.out, encoding="utf-8-sig", newline="")
        self.writer = csv.DictWriter(self.text, fieldnames=self.columns())
        self.writer.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        for record in self.records(row):
            self.writer.writerow(
                {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}
            )

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class ParquetExporter(_Tabular):
    """Columns a training pipeline reads directly: inputs and outputs as text (JSON for structures)."""

    extension = "parquet"
    content_type = "application/vnd.apache.parquet"
    ROW_GROUP = 10_000

    def __init__(self, **kwargs: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(**kwargs)
        self.pa = pa
        names = self.columns()
        types = {"id": pa.int64(), "slot": pa.int32(), "version": pa.int32(), "active_seconds": pa.float64(),
                 "submitted_at": pa.timestamp("us", tz="UTC"), "approved_at": pa.timestamp("us", tz="UTC")}  # fmt: skip
        # the quality summary rides in the file's key-value metadata: pq.read_schema(path).metadata
        self.schema = pa.schema(
            [(n, types.get(n, pa.string())) for n in names],
            metadata={b"dure.quality_summary": dumps_bytes(self.summary)},
        )
        self.writer = pq.ParquetWriter(self.out, self.schema, compression="zstd")
        self.buffer: list[dict[str, Any]] = []

    def write(self, row: dict[str, Any]) -> None:
        for record in self.records(row):
            for key, value in record.items():
                if isinstance(value, int | float) and key not in {"id", "slot", "version", "active_seconds"}:
                    record[key] = dumps(value)
            self.buffer.append(record)
        if len(self.buffer) >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.writer.write_table(self.pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


# --- shapes (COCO, YOLO, Pascal VOC) --------------------------------------------------------------------

_SHAPE_OUTPUTS = {"boxes", "polygons", "transcription_regions"}


def _image_input(spec: InterfaceSpec) -> str | None:
    return next((i.name for i in spec.inputs if i.type == "image"), None)


def _shapes(spec: InterfaceSpec, answer: dict[str, Any] | None) -> list[tuple[str | None, dict[str, Any]]]:
    """(label, shape) pairs of every box or polygon in the answer; a shape has a bbox and maybe points."""
    shapes: list[tuple[str | None, dict[str, Any]]] = []
    if not answer:
        return shapes
    for output in spec.outputs:
        if output.type not in _SHAPE_OUTPUTS:
            continue
        for entry in answer.get(output.name) or []:
            if not isinstance(entry, dict):
                continue
            label = entry.get("label") or (output.name if output.type == "transcription_regions" else None)
            if isinstance(entry.get("points"), list) and entry["points"]:
                xs = [p[0] for p in entry["points"]]
                ys = [p[1] for p in entry["points"]]
                shape = {
                    "bbox": [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)],
                    "points": entry["points"],
                }
            elif all(k in entry for k in ("x", "y", "width", "height")):
                shape = {"bbox": [entry["x"], entry["y"], entry["width"], entry["height"]]}
            else:
                continue
            if "text" in entry:
                shape["text"] = entry["text"]
            shapes.append((label, shape))
    return shapes


def _area(shape: dict[str, Any]) -> float:
    points = shape.get("points")
    if not points:
        return float(shape["bbox"][2] * shape["bbox"][3])
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def _size(data: dict[str, Any]) -> tuple[float, float] | None:
    width, height = data.get("width"), data.get("height")
    if isinstance(width, int | float) and isinstance(height, int | float) and width > 0 and height > 0:
        return float(width), float(height)
    return None


class _ShapeExporter(Exporter):
    @classmethod
    def not_applicable(cls, spec: InterfaceSpec) -> str | None:
        if _image_input(spec) is None or not any(o.type in _SHAPE_OUTPUTS for o in spec.outputs):
            return "needs an image input and a boxes, polygons or transcription_regions output"
        return None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image_input = _image_input(self.spec)
        self.categories: dict[str, int] = {}
        for output in self.spec.outputs:
            if output.type in _SHAPE_OUTPUTS:
                for option in getattr(output, "labels", []):
                    self.categories.setdefault(option.value, len(self.categories))
                if output.type == "transcription_regions" and not output.labels:
                    self.categories.setdefault(output.name, len(self.categories))

    def category(self, label: str | None) -> int:
        key = label or "object"
        if key not in self.categories:
            self.categories[key] = len(self.categories)
        return self.categories[key]


class CocoExporter(_ShapeExporter):
    extension = "json"
    content_type = "application/json"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.images = tempfile.TemporaryFile()  # noqa: SIM115
        self.annotations = tempfile.TemporaryFile()  # noqa: SIM115
        self.annotation_id = 0
        self.image_count = 0

    def write(self, row: dict[str, Any]) -> None:
        size = _size(row["data"]) or (0, 0)
        image = {"id": row["id"], "file_name": row["data"].get(self.image_input), "width": size[0],
                 "height": size[1], "dure_external_id": row["external_id"]}  # fmt: skip
        self.images.write((b"," if self.image_count else b"") + dumps_bytes(image))
        self.image_count += 1
        for label, shape in _shapes(self.spec, row["answer"]):
            self.annotation_id += 1
            annotation: dict[str, Any] = {
                "id": self.annotation_id,
                "image_id": row["id"],
                "category_id": self.category(label) + 1,
                "bbox": shape["bbox"],
                "area": _area(shape),
                "iscrowd": 0,
                "segmentation": [[c for point in shape["points"] for c in point]]
                if "points" in shape
                else [],
            }
            if "text" in shape:
                annotation["attributes"] = {"text": shape["text"]}
            self.annotations.write((b"," if self.annotation_id > 1 else b"") + dumps_bytes(annotation))

    def close(self) -> None:
        info = {"description": self.project.name, "date_created": timezone.now().isoformat(),
                "version": "1.0", "contributor": "Dure", "quality": self.summary}  # fmt: skip
        self.out.write(b'{"info":' + dumps_bytes(info) + b',"licenses":[],"images":[')
        for part in (self.images, None, self.annotations):
            if part is None:
                self.out.write(b'],"annotations":[')
                continue
            part.seek(0)
            for block in iter(lambda p=part: p.read(1 << 20), b""):  # type: ignore[misc]
                self.out.write(block)
            part.close()
        categories = [{"id": i + 1, "name": name, "supercategory": ""} for name, i in self.categories.items()]
        self.out.write(b'],"categories":' + dumps_bytes(categories) + b"}")


def _stem(path: Any, item_id: int) -> str:
    name = posixpath.basename(str(path or "")) or str(item_id)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[^\w.-]", "_", stem) or str(item_id)


class _ZipExporter(_ShapeExporter):
    extension = "zip"
    content_type = "application/zip"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zip = zipfile.ZipFile(self.out, "w", compression=zipfile.ZIP_DEFLATED)
        self.seen: set[str] = set()
        self.index = tempfile.TemporaryFile()  # noqa: SIM115
        self.notes["skipped_without_size"] = 0

    def unique_stem(self, row: dict[str, Any]) -> str:
        stem = _stem(row["data"].get(self.image_input), row["id"])
        if stem in self.seen:
            stem = f"{stem}_{row['id']}"
        self.seen.add(stem)
        return stem

    def close(self) -> None:
        self.zip.writestr("quality_summary.json", dumps(self.summary))
        for name, content in self.attachments.items():
            self.zip.writestr(name, content)
        self.index.seek(0)
        with self.zip.open(self.index_name, "w") as target:
            for block in iter(lambda: self.index.read(1 << 20), b""):
                target.write(block)
        self.index.close()
        self.finish()
        self.zip.close()

    index_name = "images.txt"

    def finish(self) -> None:
        pass


class YoloExporter(_ZipExporter):
    """``labels/<image>.txt`` with normalised ``class cx cy w h`` (polygons as YOLO segmentation lines)."""

    def write(self, row: dict[str, Any]) -> None:
        size = _size(row["data"])
        if size is None:
            self.notes["skipped_without_size"] += 1
            return
        width, height = size
        lines = []
        for label, shape in _shapes(self.spec, row["answer"]):
            cls = self.category(label)
            if "points" in shape:
                coords = " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in shape["points"])
                lines.append(f"{cls} {coords}")
            else:
                x, y, w, h = shape["bbox"]
                lines.append(
                    f"{cls} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} {w / width:.6f} {h / height:.6f}"
                )
        stem = self.unique_stem(row)
        self.zip.writestr(f"labels/{stem}.txt", "\n".join(lines) + ("\n" if lines else ""))
        self.index.write(f"{row['data'].get(self.image_input)}\tlabels/{stem}.txt\n".encode())

    def finish(self) -> None:
        names = sorted(self.categories, key=self.categories.__getitem__)
        self.zip.writestr("classes.txt", "\n".join(names) + "\n")
        yaml_names = "\n".join(f"  {i}: {json.dumps(n, ensure_ascii=False)}" for i, n in enumerate(names))
        self.zip.writestr(
            "data.yaml", f"path: .\ntrain: images.txt\nnc: {len(names)}\nnames:\n{yaml_names}\n"
        )


class VocExporter(_ZipExporter):
    """``Annotations/<image>.xml`` in Pascal VOC with pixel bounding boxes (1-based, inclusive)."""

    index_name = "ImageSets/Main/default.txt"

    def write(self, row: dict[str, Any]) -> None:
        size = _size(row["data"]) or (0, 0)
        path = str(row["data"].get(self.image_input) or "")
        stem = self.unique_stem(row)
        objects = []
        for label, shape in _shapes(self.spec, row["answer"]):
            x, y, w, h = shape["bbox"]
            objects.append(
                f"  <object>\n    <name>{escape(label or 'object')}</name>\n    <pose>Unspecified</pose>\n"
                f"    <truncated>0</truncated>\n    <difficult>0</difficult>\n    <bndbox>\n"
                f"      <xmin>{round(x) + 1}</xmin>\n      <ymin>{round(y) + 1}</ymin>\n"
                f"      <xmax>{round(x + w)}</xmax>\n      <ymax>{round(y + h)}</ymax>\n    </bndbox>\n  </object>\n"
            )
        xml = (
            f"<annotation>\n  <folder>{escape(posixpath.dirname(path))}</folder>\n"
            f"  <filename>{escape(posixpath.basename(path))}</filename>\n  <path>{escape(path)}</path>\n"
            f"  <source><database>Dure</database></source>\n"
            f"  <size>\n    <width>{int(size[0])}</width>\n    <height>{int(size[1])}</height>\n"
            f"    <depth>3</depth>\n  </size>\n  <segmented>0</segmented>\n{''.join(objects)}</annotation>\n"
        )
        self.zip.writestr(f"Annotations/{stem}.xml", xml)
        self.index.write(f"{stem}\n".encode())


# --- text: CoNLL-2003 -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"\S+")


def conll_tokens(text: str, spans: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Whitespace tokens with BIO tags; a token belongs to the span that contains its first character."""
    ordered = sorted(
        (
            s
            for s in spans
            if isinstance(s, dict) and isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
        ),
        key=lambda s: s["start"],
    )
    tokens = []
    previous = None
    for match in _TOKEN.finditer(text):
        span = next((s for s in ordered if s["start"] <= match.start() < s["end"]), None)
        tag = "O" if span is None else ("I-" if previous is span else "B-") + str(span.get("label") or "ENT")
        previous = span
        tokens.append((match.group(), tag))
    return tokens


class ConllExporter(Exporter):
    """CoNLL-2003 columns (token, POS, chunk, entity); Dure knows only the entity, so POS and chunk are -X-."""

    extension = "conll"
    content_type = "text/plain"

    @classmethod
    def not_applicable(cls, spec: InterfaceSpec) -> str | None:
        if not any(o.type == "spans" for o in spec.outputs):
            return "needs a spans output"
        return None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.output = next(o for o in self.spec.outputs if o.type == "spans")
        source = self.spec.input(self.output.source) or next(
            i for i in self.spec.inputs if i.type in {"text", "prompt"}
        )
        self.source = source.name
        self.out.write(b"-DOCSTART- -X- -X- O\n\n")

    def write(self, row: dict[str, Any]) -> None:
        text = row["data"].get(self.source)
        if not isinstance(text, str):
            return
        spans = (row["answer"] or {}).get(self.output.name) or []
        lines = [f"{token} -X- -X- {tag}" for token, tag in conll_tokens(text, spans)]
        if lines:
            self.out.write(("\n".join(lines) + "\n\n").encode())


# --- Label Studio ----------------------------------------------------------------------------------------


def _percent(value: float, size: float | None) -> float:
    return round(value * 100.0 / size, 6) if size else value


def label_studio_results(
    spec: InterfaceSpec, answer: dict[str, Any], data: dict[str, Any]
) -> list[dict[str, Any]]:
    size = _size(data)
    width, height = size if size else (None, None)
    results: list[dict[str, Any]] = []

    def region(output: Any, kind: str, value: dict[str, Any], **extra: Any) -> None:
        source = output.source or next(
            (i.name for i in spec.inputs if kind not in {"labels"} or i.type in {"text", "prompt"}),
            spec.inputs[0].name,
        )
        entry = {"id": f"r{len(results) + 1}", "from_name": output.name, "to_name": source, "type": kind,
                 "value": value, "origin": "manual", **extra}  # fmt: skip
        if width and kind in {"rectanglelabels", "polygonlabels", "keypointlabels"}:
            entry.update(original_width=width, original_height=height, image_rotation=0)
        results.append(entry)

    for output in spec.outputs:
        value = answer.get(output.name)
        if value is None:
            continue
        kind = output.type
        if kind in {"boxes", "transcription_regions"} and isinstance(value, list):
            for box in value:
                if "points" in box:
                    points = [[_percent(x, width), _percent(y, height)] for x, y in box["points"]]
                    region(
                        output,
                        "polygonlabels",
                        {"points": points, "polygonlabels": [box.get("label") or output.name]},
                    )
                else:
                    region(output, "rectanglelabels", {
                        "x": _percent(box["x"], width), "y": _percent(box["y"], height),
                        "width": _percent(box["width"], width), "height": _percent(box["height"], height),
                        "rotation": 0, "rectanglelabels": [box.get("label") or output.name]})  # fmt: skip
                if kind == "transcription_regions":
                    region(output, "textarea", {"text": [box.get("text", "")]})
        elif kind == "polygons" and isinstance(value, list):
            for polygon in value:
                points = [[_percent(x, width), _percent(y, height)] for x, y in polygon["points"]]
                region(output, "polygonlabels", {"points": points, "polygonlabels": [polygon.get("label")]})
        elif kind == "keypoints" and isinstance(value, list):
            for point in value:
                region(output, "keypointlabels", {"x": _percent(point["x"], width), "y": _percent(point["y"], height),
                                                  "width": 1, "keypointlabels": [point.get("label")]})  # fmt: skip
        elif kind == "spans" and isinstance(value, list):
            for span in value:
                entry = {"start": span["start"], "end": span["end"], "labels": [span.get("label")]}
                if "text" in span:
                    entry["text"] = span["text"]
                region(output, "labels", entry)
        elif kind == "frame_labels" and isinstance(value, list):
            # Label Studio's video TimelineLabels count frames from 1; Dure counts them from 0
            for entry in value:
                ranges = [{"start": entry["start_frame"] + 1, "end": entry["end_frame"] + 1}]
                region(output, "timelinelabels", {"ranges": ranges, "timelinelabels": [entry.get("label")]})
        elif kind == "single_choice":
            region(output, "choices", {"choices": [value]})
        elif kind == "multi_choice":
            region(output, "choices", {"choices": list(value)})
        elif kind in {"text", "transcription"}:
            region(output, "textarea", {"text": [value]})
        elif kind == "number":
            region(output, "number", {"number": value})
        elif kind == "rating" and not isinstance(value, dict):
            region(output, "rating", {"rating": value})
        else:  # pairwise, time segments, files, multi-criteria ratings: Label Studio has no one shape for them
            region(output, "dure", {"dure": value})
    return results


class LabelStudioExporter(Exporter):
    """A Label Studio JSON export: one task per item, one annotation per approved answer."""

    extension = "json"
    content_type = "application/json"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.count = 0
        self.out.write(b"[")

    def write(self, row: dict[str, Any]) -> None:
        annotations = [
            {
                "id": row["id"] * 100 + n,
                "completed_by": answer["worker"],
                "result": label_studio_results(self.spec, answer["answer"], row["data"]),
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": answer["submitted_at"],
                "updated_at": answer["approved_at"],
                "lead_time": answer["active_seconds"],
                "reviewed_by": answer["reviewer"],
            }
            for n, answer in enumerate(row["approved"])
        ]
        task = {"id": row["id"], "data": _public_data(row["data"]), "annotations": annotations, "predictions": [],
                "meta": {"external_id": row["external_id"], "state": row["state"]}}  # fmt: skip
        self.out.write((b",\n" if self.count else b"\n") + dumps(task).encode())
        self.count += 1

    def close(self) -> None:
        self.out.write(b"\n]\n")


EXPORTERS: dict[str, type[Exporter]] = {
    "jsonl": JsonLinesExporter,
    "csv": CsvExporter,
    "parquet": ParquetExporter,
    "label_studio": LabelStudioExporter,
    "coco": CocoExporter,
    "yolo": YoloExporter,
    "voc": VocExporter,
    "conll": ConllExporter,
}
