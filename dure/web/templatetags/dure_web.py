"""Small template filters for the pages: percentages, JSON answers, durations."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)


@register.filter
def minutes(seconds: float | int | None) -> str:
    if not seconds:
        return "0:00"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


_MEDIA_PREFIXES = ("uploads/", "projects/", "demo/")
_KINDS = {
    "image": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp"),
    "audio": (".wav", ".mp3", ".ogg", ".oga", ".m4a", ".flac", ".weba"),
    "video": (".mp4", ".webm", ".mov", ".mkv"),
}


@register.filter
def media_kind(value: Any) -> str:
    """``image``, ``audio`` or ``video`` for a stored file Dure serves under /media/; "" for anything else."""
    if not isinstance(value, str) or not value.startswith(_MEDIA_PREFIXES):
        return ""
    lowered = value.lower()
    return next((kind for kind, endings in _KINDS.items() if lowered.endswith(endings)), "file")


@register.filter
def answer_files(answer: Any) -> list[dict[str, str]]:
    """The uploaded files an answer references (``file_upload`` outputs), to play or show them."""
    files = []
    if isinstance(answer, dict):
        for value in answer.values():
            for entry in value if isinstance(value, list) else []:
                path = entry.get("path") if isinstance(entry, dict) else None
                kind = media_kind(path)
                if kind:
                    files.append({"url": f"/media/{path}", "kind": kind, "path": str(path)})
    return files
