"""Import formats as streams of records. Each reader yields ``Record`` or ``Problem`` and holds one record
in memory at a time (COCO spills its annotations to a temporary SQLite file keyed by image).

Readers do not validate against the interface spec and do not write; ``services`` does both.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import os
import posixpath
import re
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
import orjson
from django.utils.translation import gettext as _

from dure.datasets.media import KIND_TO_INPUT, MediaType, StoredMedia, sniff, spooled, store_media
from dure.projects.spec import InterfaceSpec

#: a run of digits that may be an integer orjson cannot hold exactly (it reads those as floats)
_LONG_DIGITS = re.compile(r"\d{19}")
_UNREAD = object()

#: data keys that carry things other than the spec's inputs
PRELABELS_KEY = "_prelabels"


@dataclass
class Record:
    number: int
    data: Any
    external_id: Any = None
    line: int | None = None


@dataclass
class Problem:
    error: str
    number: int | None = None
    line: int | None = None
    path: str = ""
    #: the file inside an archive or bucket
    file: str | None = None
    #: the file cannot be read further (truncated, wrong encoding): stop here
    fatal: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error}
        if self.line is not None:
            out["line"] = self.line
        if self.number is not None:
            out["record"] = self.number
        if self.file is not None:
            out["file"] = self.file
        if self.path:
            out["path"] = self.path
        return out


@dataclass
class Limits:
    max_record_bytes: int
    max_file_bytes: int
    max_archive_bytes: int
    max_archive_entries: int
    max_compression_ratio: int


@dataclass
class ReadContext:
    project_id: int
    spec: InterfaceSpec
    limits: Limits
    #: media stored by this import that did not exist before, removed again if the import fails
    created_media: list[str] = field(default_factory=list)
    #: bytes or entries read so far, for the progress bar
    position: Callable[[], int] = lambda: 0


Reader = Iterator[Record | Problem]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _split(value: Any, number: int, line: int | None) -> Record:
    """``{"data": {...}, "external_id": "..."}`` or the data object itself, as ``add_items`` accepts."""
    if isinstance(value, dict) and isinstance(value.get("data"), dict):
        return Record(number, value["data"], value.get("external_id"), line)
    return Record(number, value, None, line)


# --- JSON Lines ------------------------------------------------------------------------------------------


def read_jsonl(stream: IO[bytes], context: ReadContext) -> Reader:
    limit = context.limits.max_record_bytes
    line = number = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        line += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line without holding it
                raw = stream.readline(1 << 20)
            number += 1
            yield Problem(_("The line is longer than %(n)d bytes.") % {"n": limit}, number, line)
            continue
        if line == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        if not raw.strip():
            continue
        number += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield Problem(_("The line is not valid UTF-8."), number, line)
            continue
        value: Any = _UNREAD
        if not _LONG_DIGITS.search(text):  # orjson reads integers beyond 64 bits as floats: json reads those
            with contextlib.suppress(orjson.JSONDecodeError):
                value = orjson.loads(text)
        if value is _UNREAD:  # json decides what orjson refuses (lone surrogates, huge numbers), in its words
            try:
                value = json.loads(text, parse_constant=_refuse_constant)
            except ValueError as error:
                yield Problem(_("The line is not valid JSON: %(error)s") % {"error": error}, number, line)
                continue
        yield _split(value, number, line)


# --- CSV -------------------------------------------------------------------------------------------------


def _csv_value(kind: str | None, text: str) -> Any:
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text  # the spec check reports "Expected a number." with the column's path
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "json":
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError:
            return text
    return text


class _Unreadable(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _text_lines(stream: IO[bytes], limit: int) -> Iterator[str]:
    """Decoded lines, one at a time, so a wrong encoding or a huge line is reported with its line number."""
    line = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        line += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise _Unreadable(_("The line is longer than %(n)d bytes.") % {"n": limit}, line)
        if line == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unreadable(_("The line is not valid UTF-8."), line) from None


def read_csv(stream: IO[bytes], context: ReadContext) -> Reader:
    kinds = {i.name: i.type for i in context.spec.inputs}
    limit = context.limits.max_record_bytes
    csv.field_size_limit(limit)
    reader = csv.reader(_text_lines(stream, limit))
    number = 0
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        if len(set(header)) != len(header) or not all(header):
            yield Problem(_("The header row has empty or repeated column names."), None, 1, fatal=True)
            return
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            number += 1
            if len(row) != len(header):
                yield Problem(
                    _("Expected %(expected)d columns, found %(found)d.")
                    % {"expected": len(header), "found": len(row)},
                    number,
                    reader.line_num,
                )
                continue
            data: dict[str, Any] = {}
            external_id = None
            for name, value in zip(header, row, strict=True):
                if name == "external_id":
                    external_id = value or None
                elif value != "":
                    data[name] = _csv_value(kinds.get(name), value)
            yield Record(number, data, external_id, reader.line_num)
    except _Unreadable as error:
        yield Problem(str(error), number + 1, error.line, fatal=True)
    except csv.Error as error:
        yield Problem(
            _("The CSV cannot be read: %(error)s") % {"error": error}, number + 1, reader.line_num, fatal=True
        )


# --- JSON arrays (plain, Label Studio, COCO) --------------------------------------------------------------


def _first_byte(stream: IO[bytes]) -> bytes:
    start = stream.tell()
    head = stream.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
    stream.seek(start)
    return head[:1]


def _json_items(stream: IO[bytes], prefix: str) -> Iterator[tuple[int, Any] | Problem]:
    number = 0
    try:
        for value in ijson.items(stream, prefix, use_float=True):
            number += 1
            yield number, value
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as error:
        yield Problem(
            _("The JSON is malformed or truncated after record %(n)d: %(error)s")
            % {"n": number, "error": error},
            number + 1,
            fatal=True,
        )


def read_json(stream: IO[bytes], context: ReadContext) -> Reader:
    first = _first_byte(stream)
    if first not in (b"[", b"{"):
        yield Problem(_("Expected a JSON array of items."), fatal=True)
        return
    for entry in _json_items(stream, "item" if first == b"[" else "items.item"):
        if isinstance(entry, Problem):
            yield entry
            return
        number, value = entry
        yield _split(value, number, None)


def _output_for(spec: InterfaceSpec, name: str | None, types: set[str]) -> str | None:
    for output in spec.outputs:
        if output.name == name and output.type in types:
            return output.name
    return next((o.name for o in spec.outputs if o.type in types), None)


def _percent_to_pixels(value: Any, size: Any) -> float:
    return round(float(value) * float(size) / 100.0, 3) if size else float(value)


def label_studio_prelabels(spec: InterfaceSpec, results: list[Any], data: dict[str, Any]) -> dict[str, Any]:
    """Label Studio result regions → answers in Dure's shapes (pixels for shapes, offsets for spans)."""
    out: dict[str, Any] = {}

    def add(kind: set[str], name: Any, value: Any, many: bool = True) -> None:
        target = _output_for(spec, name if isinstance(name, str) else None, kind)
        if target is None:
            return
        if many:
            out.setdefault(target, []).append(value)
        else:
            out[target] = value

    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
            continue
        kind, value, name = result.get("type"), result["value"], result.get("from_name")
        width = result.get("original_width") or data.get("width")
        height = result.get("original_height") or data.get("height")
        labels: Any = next(
            (
                value[k]
                for k in ("rectanglelabels", "polygonlabels", "labels", "keypointlabels", "timelinelabels")
                if k in value
            ),
            [],
        )
        label = labels[0] if isinstance(labels, list) and labels else None
        try:
            if kind in {"rectanglelabels", "rectangle"}:
                box = {
                    "x": _percent_to_pixels(value["x"], width),
                    "y": _percent_to_pixels(value["y"], height),
                    "width": _percent_to_pixels(value["width"], width),
                    "height": _percent_to_pixels(value["height"], height),
                }
                add({"boxes"}, name, {**box, "label": label} if label else box)
            elif kind in {"polygonlabels", "polygon"}:
                points = [
                    [_percent_to_pixels(x, width), _percent_to_pixels(y, height)] for x, y in value["points"]
                ]
                add({"polygons"}, name, {"points": points, "label": label} if label else {"points": points})
            elif kind in {"keypointlabels", "keypoint"}:
                point = {
                    "x": _percent_to_pixels(value["x"], width),
                    "y": _percent_to_pixels(value["y"], height),
                }
                add({"keypoints"}, name, {**point, "label": label} if label else point)
            elif kind == "labels":
                span = {"start": int(value["start"]), "end": int(value["end"]), "label": label}
                if "text" in value:
                    span["text"] = value["text"]
                add({"spans"}, name, span)
            elif kind == "timelinelabels":
                # Label Studio counts video frames from 1, Dure from 0
                for frames in value["ranges"]:
                    first, last = int(frames["start"]) - 1, int(frames["end"]) - 1
                    add({"frame_labels"}, name, {"start_frame": first, "end_frame": last, "label": label})
            elif kind == "choices":
                choices = value.get("choices") or []
                if _output_for(spec, name, {"single_choice"}) and len(choices) == 1:
                    add({"single_choice"}, name, choices[0], many=False)
                else:
                    add({"multi_choice"}, name, list(choices), many=False)
            elif kind == "textarea":
                add({"text", "transcription"}, name, "\n".join(value.get("text") or []), many=False)
            elif kind == "rating":
                add({"rating"}, name, value.get("rating"), many=False)
            elif kind == "number":
                add({"number"}, name, value.get("number"), many=False)
        except (KeyError, TypeError, ValueError):
            continue  # a region this reader cannot convert is left out of the pre-labels, not fatal
    return out


def read_label_studio(stream: IO[bytes], context: ReadContext) -> Reader:
    if _first_byte(stream) != b"[":
        yield Problem(_("Expected a Label Studio JSON export (an array of tasks)."), fatal=True)
        return
    for entry in _json_items(stream, "item"):
        if isinstance(entry, Problem):
            yield entry
            return
        number, task = entry
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            yield Problem(_("A task needs a data object."), number, path="data")
            continue
        data = dict(task["data"])
        chosen = None
        for group in ("annotations", "predictions"):
            candidates = [
                a for a in task.get(group) or [] if isinstance(a, dict) and not a.get("was_cancelled")
            ]
            if candidates:
                chosen = candidates[-1].get("result") or []
                break
        if chosen:
            prelabels = label_studio_prelabels(context.spec, chosen, data)
            if prelabels:
                data[PRELABELS_KEY] = prelabels
        yield Record(number, data, task.get("external_id"))


def _input_of(spec: InterfaceSpec, kinds: set[str]) -> str | None:
    return next((i.name for i in spec.inputs if i.type in kinds), None)


def _polygon_points(segmentation: Any) -> list[list[float]] | None:
    if isinstance(segmentation, list) and segmentation and isinstance(segmentation[0], list):
        flat = segmentation[0]
        if len(flat) >= 6 and len(flat) % 2 == 0:
            return [[float(flat[i]), float(flat[i + 1])] for i in range(0, len(flat), 2)]
    return None


def read_coco(stream: IO[bytes], context: ReadContext) -> Reader:
    image_input = _input_of(context.spec, {"image"})
    if image_input is None:
        yield Problem(_("The project has no image input for COCO images."), fatal=True)
        return
    if _first_byte(stream) != b"{":
        yield Problem(_("Expected a COCO JSON object."), fatal=True)
        return
    box_output = _output_for(context.spec, None, {"boxes"})
    polygon_output = _output_for(context.spec, None, {"polygons"})
    categories: dict[int, str] = {}
    start = stream.tell()
    for entry in _json_items(stream, "categories.item"):
        if isinstance(entry, Problem):
            yield entry
            return
        _n, category = entry
        if isinstance(category, dict) and "id" in category:
            categories[category["id"]] = str(category.get("name", category["id"]))
    # Annotations may come before or after their images: spill them to disk keyed by image id.
    with tempfile.TemporaryDirectory() as folder:
        spill = sqlite3.connect(os.path.join(folder, "annotations.sqlite3"))
        spill.execute("CREATE TABLE a (image_id TEXT, body TEXT)")
        stream.seek(start)
        batch: list[tuple[str, str]] = []
        for entry in _json_items(stream, "annotations.item"):
            if isinstance(entry, Problem):
                yield entry
                return
            number, annotation = entry
            if not isinstance(annotation, dict) or "image_id" not in annotation:
                yield Problem(_("An annotation needs an image_id."), number, path="annotations")
                continue
            shape: dict[str, Any] | None = None
            label = categories.get(annotation.get("category_id"))  # type: ignore[arg-type]
            points = _polygon_points(annotation.get("segmentation"))
            if polygon_output and points:
                shape = {"o": polygon_output, "v": {"points": points}}
            elif box_output and isinstance(annotation.get("bbox"), list) and len(annotation["bbox"]) == 4:
                x, y, w, h = (float(v) for v in annotation["bbox"])
                shape = {"o": box_output, "v": {"x": x, "y": y, "width": w, "height": h}}
            if shape is not None:
                if label is not None:
                    shape["v"]["label"] = label
                batch.append((str(annotation["image_id"]), json.dumps(shape)))
            if len(batch) >= 5000:
                spill.executemany("INSERT INTO a VALUES (?, ?)", batch)
                batch.clear()
        spill.executemany("INSERT INTO a VALUES (?, ?)", batch)
        spill.execute("CREATE INDEX a_image ON a (image_id)")
        stream.seek(start)
        for entry in _json_items(stream, "images.item"):
            if isinstance(entry, Problem):
                yield entry
                return
            number, image = entry
            if not isinstance(image, dict) or "id" not in image:
                yield Problem(_("An image needs an id."), number, path="images")
                continue
            data: dict[str, Any] = {image_input: image.get("coco_url") or image.get("file_name")}
            for key in ("width", "height"):
                if key in image:
                    data[key] = image[key]
            prelabels: dict[str, list[Any]] = {}
            for (body,) in spill.execute("SELECT body FROM a WHERE image_id = ?", (str(image["id"]),)):
                shape = json.loads(body)
                prelabels.setdefault(shape["o"], []).append(shape["v"])
            if prelabels:
                data[PRELABELS_KEY] = prelabels
            yield Record(number, data, None)
        spill.close()


# --- archives of media files ------------------------------------------------------------------------------

_SKIPPED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


def _safe_name(name: str) -> str | None:
    """The entry's normalised relative path, or None when it tries to leave the archive."""
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return None
    normalised = posixpath.normpath(name.replace("\\", "/"))
    if normalised.startswith("../") or normalised == ".." or normalised.startswith("/"):
        return None
    return normalised


def _media_data(spec: InterfaceSpec, stored: StoredMedia, name: str) -> dict[str, Any] | Problem:
    wanted = KIND_TO_INPUT[stored.media_type.kind]
    target = _input_of(spec, {wanted})
    if target is None:
        return Problem(
            _("The project has no %(kind)s input for this file.") % {"kind": stored.media_type.kind},
            file=name,
        )
    data: dict[str, Any] = {target: stored.path, "file_name": name}
    if stored.width and stored.height:
        data["width"], data["height"] = stored.width, stored.height
    if stored.thumbnail:
        data["thumbnail"] = stored.thumbnail
    return data


def _check_type(spec: InterfaceSpec, head: bytes, name: str) -> MediaType | Problem:
    media_type = sniff(head)
    if media_type is None:
        return Problem(_("The file type is not a supported image, audio, video or PDF."), file=name)
    if _input_of(spec, {KIND_TO_INPUT[media_type.kind]}) is None:
        return Problem(
            _("The project has no %(kind)s input for this file.") % {"kind": media_type.kind}, file=name
        )
    return media_type


def read_zip(stream: IO[bytes], context: ReadContext) -> Reader:
    limits = context.limits
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        yield Problem(_("The file is not a readable zip archive."), fatal=True)
        return
    entries = archive.infolist()
    if len(entries) > limits.max_archive_entries:
        yield Problem(
            _("The archive has more than %(n)d entries.") % {"n": limits.max_archive_entries}, fatal=True
        )
        return
    declared = sum(e.file_size for e in entries)
    if declared > limits.max_archive_bytes:
        yield Problem(_("The archive unpacks to more than the allowed size."), fatal=True)
        return
    unpacked = 0
    number = 0
    done = 0
    context.position = lambda: done
    for info in entries:
        done += 1
        if info.is_dir():
            continue
        name = _safe_name(info.filename)
        mode = info.external_attr >> 16
        if name is None or stat.S_ISLNK(mode):
            yield Problem(
                _("The entry's path leaves the archive or is a link."), file=info.filename, fatal=True
            )
            return
        base = posixpath.basename(name).lower()
        if base in _SKIPPED_NAMES or base.startswith("._") or name.startswith("__MACOSX/"):
            continue
        number += 1
        if info.file_size > limits.max_file_bytes:
            yield Problem(_("The file is larger than allowed."), number, file=name)
            continue
        if info.compress_size and info.file_size / info.compress_size > limits.max_compression_ratio:
            yield Problem(
                _("The file is compressed suspiciously well (a zip bomb?)."), number, file=name, fatal=True
            )
            return
        # The header's sizes can lie: count what actually comes out and stop at the limit.
        copy = spooled()
        size = 0
        try:
            with archive.open(info) as member:
                head = member.read(64)
                checked = _check_type(context.spec, head, name)
                if isinstance(checked, Problem):
                    checked.number = number
                    yield checked
                    continue
                copy.write(head)
                size = len(head)
                for block in iter(lambda: member.read(1 << 20), b""):
                    size += len(block)
                    if size > limits.max_file_bytes or unpacked + size > limits.max_archive_bytes:
                        break
                    copy.write(block)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
            yield Problem(
                _("The entry cannot be read: %(error)s") % {"error": error}, number, file=name, fatal=True
            )
            return
        if size > limits.max_file_bytes or unpacked + size > limits.max_archive_bytes:
            yield Problem(
                _("The archive unpacks to more than the allowed size."), number, file=name, fatal=True
            )
            return
        unpacked += size
        stored = store_media(project_id=context.project_id, source=copy, media_type=checked)
        copy.close()
        if stored.created:
            context.created_media.append(stored.path)
        data = _media_data(context.spec, stored, name)
        if isinstance(data, Problem):
            data.number = number
            yield data
            continue
        yield Record(number, data, None)


def read_bucket(url: str, context: ReadContext, storage: Any) -> Reader:
    """Every object under an S3-compatible prefix becomes an item that refers to it (nothing is copied)."""
    bucket_name, _slash, prefix = url.removeprefix("s3://").partition("/")
    bucket = storage.bucket
    number = 0
    done = 0
    context.position = lambda: done
    for summary in bucket.objects.filter(Prefix=prefix):
        done += 1
        key = summary.key
        if key.endswith("/") or posixpath.basename(key).lower() in _SKIPPED_NAMES:
            continue
        number += 1
        if summary.size > context.limits.max_file_bytes:
            yield Problem(_("The file is larger than allowed."), number, file=key)
            continue
        head = summary.get(Range="bytes=0-63")["Body"].read()
        checked = _check_type(context.spec, head, key)
        if isinstance(checked, Problem):
            checked.number = number
            yield checked
            continue
        target = _input_of(context.spec, {KIND_TO_INPUT[checked.kind]})
        yield Record(number, {target: f"s3://{bucket_name}/{key}", "file_name": key}, None)


READERS: dict[str, Callable[[IO[bytes], ReadContext], Reader]] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "json": read_json,
    "label_studio": read_label_studio,
    "coco": read_coco,
    "zip": read_zip,
}
IMPORT_FORMATS = [*READERS, "s3"]
