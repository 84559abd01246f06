"""Automatic checks: what a machine can tell about an answer before a person reviews it.

``check_answer`` is the one entry point. It is pure — it writes nothing — and costs no query except the
duplicate-upload lookup, which runs only when the answer references uploaded files and uses the
``(project, sha256)`` index of ``SubmittedFile``. ``submit`` refuses an answer with problems
(``answer_checks_failed``), so every submission in the review queue has passed them; the delivery
certificate runs the same function over delivered answers to report how many are valid.

Each ``Problem`` has a stable ``code``:

- ``required``: a required output is missing or empty
- ``empty_text``: a transcription (or a region's or segment's text) is blank
- ``not_allowed``: a value or label that is not one of the project's classes
- ``outside_image``: a box, polygon point or keypoint outside the image (when its size is known)
- ``span_outside_text`` / ``span_text_mismatch``: a span that does not fit the item's text
- ``rating_out_of_range`` / ``out_of_range``: a rating or number outside the allowed range
- ``outside_media``: a time segment ending after the recording
- ``duplicate_upload``: the same file content was already submitted in the project
- ``unknown_output`` / ``invalid_format``: anything else the interface spec does not allow
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any, Protocol

from django.utils.translation import gettext as _

from dure.projects.spec import InterfaceSpec, answer_problems, image_bounds
from dure.work.models import SubmittedFile


class CheckedItem(Protocol):
    """What the checks read of an item: a ``dure.work.models.Item`` or anything shaped like it."""

    pk: Any
    project_id: int
    data: Any


@dataclasses.dataclass(frozen=True)
class Problem:
    code: str
    message: str
    #: the answer path the problem is about (``boxes[2]``, ``regions[0].text``), as the workspace places it
    field: str
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field, "detail": self.detail}


#: where importers and integrations put an image's pixel size besides ``width``/``height`` on the data
_SIZE_HOLDERS = ("meta", "metadata", "image_size", "size")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def image_size(data: Any) -> tuple[float, float] | None:
    """The image's pixel size when the item says it (imports from media archives and COCO record it)."""
    if not isinstance(data, dict):
        return None
    bounds = image_bounds(data)
    if bounds is not None:
        return bounds
    for key in _SIZE_HOLDERS:
        holder = data.get(key)
        if isinstance(holder, dict):
            bounds = image_bounds(holder)
            if bounds is not None:
                return bounds
    return None


def check_answer(
    *, spec: InterfaceSpec, answer: Any, item: CheckedItem, slot_id: int | None = None
) -> list[Problem]:
    """Every problem the automatic checks find in ``answer`` to ``item``; an empty list means it passes.

    ``slot_id`` is the slot being answered: earlier rounds of that slot may carry the same file (a rework
    keeps a good recording). Without it, files submitted for the same item are not counted as duplicates,
    which is what a re-check of a delivered answer needs (its own row is there).
    """
    data = item.data if isinstance(item.data, dict) else {}
    size = image_size(data)
    if size is not None and image_bounds(data) is None:
        # The spec's shape checks read the size from the top level of the data.
        data = {**data, "width": size[0], "height": size[1]}
    problems = [
        Problem(code=code, message=message, field=path)
        for code, path, message in answer_problems(spec, answer, data)
    ]
    if not isinstance(answer, dict) or (problems and problems[0].field == "answer"):
        return problems
    problems.extend(_blank_texts(spec, answer))
    problems.extend(_duplicate_uploads(spec, answer, item, slot_id))
    return problems


def _blank_texts(spec: InterfaceSpec, answer: dict[str, Any]) -> Iterable[Problem]:
    """A transcribed region or segment with no text: the spec accepts any string, a transcript does not."""
    for output in spec.outputs:
        transcribed = output.type == "transcription_regions" or (
            output.type == "time_segments" and getattr(output, "transcribe", False)
        )
        value = answer.get(output.name)
        if not transcribed or not isinstance(value, list):
            continue
        for index, entry in enumerate(value[:10_000]):
            if isinstance(entry, dict) and isinstance(entry.get("text"), str) and not entry["text"].strip():
                yield Problem(
                    code="empty_text",
                    message=_("This answer cannot be empty."),
                    field=f"{output.name}[{index}].text",
                )


def uploaded_digests(spec: InterfaceSpec, answer: Any) -> list[tuple[str, str]]:
    """``(answer path, sha256)`` of every uploaded file the answer references.

    The digest is read from the storage path the upload endpoint chose (``uploads/<project>/<assignment>/
    <sha256>.<ext>``), never from the ``sha256`` the client echoes back, so it cannot be forged.
    """
    if not isinstance(answer, dict):
        return []
    found = []
    for output in spec.outputs:
        value = answer.get(output.name)
        if output.type != "file_upload" or not isinstance(value, list):
            continue
        for index, entry in enumerate(value):
            path = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(path, str):
                continue
            digest = path.rsplit("/", 1)[-1].split(".", 1)[0]
            if _SHA256.match(digest):
                found.append((f"{output.name}[{index}]", digest))
    return found


def _duplicate_uploads(
    spec: InterfaceSpec, answer: dict[str, Any], item: CheckedItem, slot_id: int | None
) -> Iterable[Problem]:
    references = uploaded_digests(spec, answer)
    if not references:
        return
    seen: set[str] = set()
    for where, digest in references:
        if digest in seen:
            yield _duplicate(where, digest)
        seen.add(digest)
    earlier = SubmittedFile.objects.filter(project_id=item.project_id, sha256__in=sorted(seen))
    earlier = earlier.exclude(slot_id=slot_id) if slot_id is not None else earlier.exclude(item_id=item.pk)
    taken = set(earlier.values_list("sha256", flat=True)[:100])
    for where, digest in references:
        if digest in taken:
            yield _duplicate(where, digest)
            taken.discard(digest)


def _duplicate(where: str, digest: str) -> Problem:
    return Problem(
        code="duplicate_upload",
        message=_("This file was already submitted in this project."),
        field=where,
        detail={"sha256": digest},
    )


def problems_as_errors(problems: list[Problem]) -> list[dict[str, str]]:
    """The ``{"path", "error", "code"}`` list the workspace places next to each field."""
    return [{"path": p.field, "error": p.message, "code": p.code} for p in problems[:100]]
