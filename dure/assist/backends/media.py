"""Reading an item's media for a backend: only from Dure's own storage, never from the network."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.storage import default_storage

from dure.projects.spec import InterfaceSpec

MAX_MEDIA_BYTES = 50 * 1024 * 1024


def storage_path(value: Any) -> str | None:
    """The storage path an item's media value names, or None for remote URLs and anything unsafe."""
    if not isinstance(value, str) or not value:
        return None
    path = value.removeprefix("/media/")
    parts = path.split("/")
    if "://" in path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if any(p in {"", ".", ".."} for p in parts):
        return None
    return path


def read_media(value: Any) -> bytes | None:
    path = storage_path(value)
    if path is None or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as stream:
        content: bytes = stream.read(MAX_MEDIA_BYTES + 1)
    return content if len(content) <= MAX_MEDIA_BYTES else None


def input_of(spec: InterfaceSpec, source: str | None, types: set[str]) -> str | None:
    chosen = spec.input(source)
    if chosen is not None and chosen.type in types:
        return chosen.name
    return next((i.name for i in spec.inputs if i.type in types), None)


def open_image(content: bytes) -> Any:
    from PIL import Image

    image = Image.open(io.BytesIO(content))
    image.draft("RGB", (4096, 4096))  # a huge JPEG is decoded at a reduced size
    return image.convert("RGB")
