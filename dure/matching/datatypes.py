"""The vocabulary matching compares people and projects by: a project's data type, its device needs.

A data type is what the work feels like to the person doing it (drawing boxes on photos, transcribing a
receipt, recording one's voice), derived from the interface spec, so history on one project counts for
every project of the same type. The list is fixed: ranking keeps one column per type.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: data type → (label, typical active seconds per item before a project has measured any work)
DATA_TYPES: dict[str, tuple[Any, float]] = {
    "image_classification": (pgettext_lazy("data type", "Image classification"), 15.0),
    "image_boxes": (pgettext_lazy("data type", "Bounding boxes"), 60.0),
    "image_segmentation": (pgettext_lazy("data type", "Polygon segmentation"), 120.0),
    "image_keypoints": (pgettext_lazy("data type", "Keypoints"), 90.0),
    "ocr": (pgettext_lazy("data type", "OCR transcription"), 60.0),
    "document": (pgettext_lazy("data type", "Document labelling"), 90.0),
    "text_classification": (pgettext_lazy("data type", "Text classification"), 15.0),
    "text_spans": (pgettext_lazy("data type", "Named entities and spans"), 45.0),
    "text_writing": (pgettext_lazy("data type", "Writing and rewriting"), 120.0),
    "preference": (pgettext_lazy("data type", "Comparing AI answers"), 60.0),
    "audio_transcription": (pgettext_lazy("data type", "Speech transcription"), 90.0),
    "audio_segments": (pgettext_lazy("data type", "Audio segmentation"), 120.0),
    "audio_classification": (pgettext_lazy("data type", "Audio classification"), 20.0),
    "video": (pgettext_lazy("data type", "Video labelling"), 180.0),
    "collection_audio": (pgettext_lazy("data type", "Voice recording"), 60.0),
    "collection_image": (pgettext_lazy("data type", "Photo collection"), 60.0),
    "collection_video": (pgettext_lazy("data type", "Video recording"), 120.0),
    "collection_file": (pgettext_lazy("data type", "File collection"), 90.0),
    "other": (pgettext_lazy("data type", "Other"), 60.0),
}
TYPE_INDEX = {name: index for index, name in enumerate(DATA_TYPES)}

#: types that need a mouse and a large screen: drawing precise shapes, long documents, video scrubbing
COMPUTER_ONLY = {
    "image_boxes",
    "image_segmentation",
    "image_keypoints",
    "ocr",
    "document",
    "audio_segments",
    "video",
    "text_spans",
}


def label(data_type: str) -> str:
    return str(DATA_TYPES.get(data_type, DATA_TYPES["other"])[0])


def typical_seconds(data_type: str) -> float:
    return DATA_TYPES.get(data_type, DATA_TYPES["other"])[1]


def _accepts(output: dict[str, Any], kind: str) -> bool:
    accept = output.get("accept") or ["*/*"]
    return any(str(a).startswith(f"{kind}/") for a in accept)


def data_type_of(spec: Any) -> str:
    """The data type of an interface spec (a dict as stored on the project); "other" when unclear."""
    if not isinstance(spec, dict):
        return "other"
    inputs = [str(i.get("type", "")) for i in spec.get("inputs") or [] if isinstance(i, dict)]
    outputs = [o for o in spec.get("outputs") or [] if isinstance(o, dict)]
    kinds = [str(o.get("type", "")) for o in outputs]
    uploads = [o for o in outputs if o.get("type") == "file_upload"]
    if uploads:
        for media in ("audio", "video", "image"):
            if any(_accepts(o, media) for o in uploads):
                return f"collection_{media}"
        return "collection_file"
    main = inputs[0] if inputs else ""
    if main in {"image", "document"}:
        if "transcription_regions" in kinds or {"transcription", "text"} & set(kinds):
            return "ocr"
        if main == "document":
            return "document"
        for kind, name in (
            ("polygons", "image_segmentation"),
            ("boxes", "image_boxes"),
            ("keypoints", "image_keypoints"),
        ):
            if kind in kinds:
                return name
        return "image_classification"
    if main == "audio":
        if {"transcription", "text"} & set(kinds):
            return "audio_transcription"
        if "time_segments" in kinds:
            return "audio_segments"
        return "audio_classification"
    if main == "video":
        return "video"
    if main in {"text", "prompt", "url", "json", "number"}:
        if "spans" in kinds:
            return "text_spans"
        if {"pairwise", "rating"} & set(kinds):
            return "preference"
        if {"text", "transcription"} & set(kinds):
            return "text_writing"
        return "text_classification"
    return "other"


def device_needs(spec: Any, data_type: str) -> dict[str, bool]:
    """What the work needs of the person's device: a microphone, a camera, or just a phone."""
    return {
        "needs_microphone": data_type == "collection_audio",
        "needs_camera": data_type in {"collection_image", "collection_video"},
        "phone_ok": data_type not in COMPUTER_ONLY,
    }


_PHONE_AGENT = re.compile(r"iPhone|Android.+Mobile|Mobile Safari|Windows Phone|iPod", re.IGNORECASE)
_TABLET_AGENT = re.compile(r"iPad|Android(?!.*Mobile)|Tablet", re.IGNORECASE)


def device_of_agent(user_agent: str) -> str | None:
    """phone or computer from a browser's user agent (tablets count as phones: touch, camera, microphone)."""
    if not user_agent:
        return None
    if _PHONE_AGENT.search(user_agent) or _TABLET_AGENT.search(user_agent):
        return "phone"
    if re.search(r"Windows|Macintosh|X11|Linux|CrOS", user_agent):
        return "computer"
    return None


LANGUAGE_NAMES = {"ko": _("Korean"), "en": _("English"), "ja": _("Japanese"), "zh": _("Chinese")}
