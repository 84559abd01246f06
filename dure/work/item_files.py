"""Item files from the browser: a JSON array, JSON Lines or CSV, turned into records for ``add_items``.

Errors name the record (1-based, as a person counts rows below the header) so the file can be fixed; the
caller adds nothing unless every record is good (``add_items`` is all or nothing too).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from django.utils.translation import gettext as _

from dure.projects.spec import InterfaceSpec
from dure.work.errors import InvalidItems

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_ERRORS = 100


def _format(name: str, text: str) -> str:
    lowered = name.lower()
    for suffix, kind in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json")):
        if lowered.endswith(suffix):
            return kind
    start = text.lstrip()[:1]
    if start == "[":
        return "json"
    if start == "{":
        return "jsonl" if len([line for line in text.splitlines() if line.strip()]) > 1 else "json"
    return "csv"


def parse_item_file(*, name: str, content: bytes, spec: InterfaceSpec) -> list[Any]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidItems(
            _("The file is not UTF-8 text."),
            errors=[{"record": 0, "path": "", "error": _("Save it as UTF-8.")}],
        ) from None
    kind = _format(name, text)
    if kind == "json":
        return _json(text)
    if kind == "jsonl":
        return _json_lines(text)
    return _csv(text, spec)


def _json(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidItems(
            _("The file is not valid JSON."),
            errors=[{"record": 0, "path": f"line {error.lineno}", "error": error.msg}],
        ) from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    if not isinstance(document, list):
        raise InvalidItems(
            _("A JSON file must hold an array of items."),
            errors=[{"record": 0, "path": "", "error": _("Expected a JSON array.")}],
        )
    return document


def _json_lines(text: str) -> list[Any]:
    records, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            errors.append({"record": number, "path": f"line {number}", "error": error.msg})
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise InvalidItems(errors=errors)
    return records


def _cell(value: str, kind: str | None) -> Any:
    if kind == "number" or (kind is None and _NUMBER.match(value)):
        try:
            number = float(value)
        except ValueError:
            return value  # the spec check names it: "Expected a number."
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "json":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _csv(text: str, spec: InterfaceSpec) -> list[Any]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InvalidItems(
            _("The CSV file has no header row."),
            errors=[{"record": 0, "path": "", "error": _("Add a header row.")}],
        )
    kinds = {field.name: field.type for field in spec.inputs}
    records = []
    for row in reader:
        data: dict[str, Any] = {}
        external_id = None
        for column, value in row.items():
            if column is None or value is None:
                continue
            column, value = column.strip(), value.strip()
            if not column or value == "":
                continue
            if column == "external_id":
                external_id = value
            else:
                data[column] = _cell(value, kinds.get(column))
        records.append({"data": data, "external_id": external_id} if external_id else {"data": data})
    return records
