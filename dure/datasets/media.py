"""Media files: type by content, content-addressed storage, thumbnails and short-lived signed URLs."""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from typing import IO

from django.core import signing
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.urls import reverse

#: which spec input types a sniffed kind may fill
KIND_TO_INPUT = {"image": "image", "audio": "audio", "video": "video", "document": "document"}
THUMBNAIL_SIZE = (256, 256)
SIGNED_URL_SALT = "dure.datasets.media"


@dataclass(frozen=True)
class MediaType:
    kind: str  # image | audio | video | document
    mime: str
    extension: str


def sniff(head: bytes) -> MediaType | None:
    """The type from the first bytes of the content; the file name is never trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType("image", "image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType("image", "image/png", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return MediaType("image", "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaType("image", "image/webp", "webp")
    if head[:2] == b"BM" and len(head) > 14:
        return MediaType("image", "image/bmp", "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return MediaType("image", "image/tiff", "tif")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return MediaType("audio", "audio/wav", "wav")
    if head[:4] == b"fLaC":
        return MediaType("audio", "audio/flac", "flac")
    if head[:4] == b"OggS":
        return MediaType("audio", "audio/ogg", "ogg")
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MediaType("audio", "audio/mpeg", "mp3")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return MediaType("audio", "audio/mp4", "m4a")
        return MediaType("video", "video/mp4", "mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return MediaType("video", "video/webm", "webm")
    if head[:5] == b"%PDF-":
        return MediaType("document", "application/pdf", "pdf")
    return None


@dataclass(frozen=True)
class StoredMedia:
    path: str
    media_type: MediaType
    size: int
    sha256: str
    created: bool
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = None


def media_path(project_id: int, sha256: str, extension: str) -> str:
    return f"projects/{project_id}/media/{sha256[:2]}/{sha256}.{extension}"


def store_media(
    *, project_id: int, source: IO[bytes], media_type: MediaType, storage: Storage | None = None
) -> StoredMedia:
    """Stores the file under its content hash (so re-imports find it again) and thumbnails images.

    ``source`` is a spooled copy already checked for size, so hashing it twice costs disk reads only.
    """
    storage = storage or default_storage
    digest = hashlib.sha256()
    size = 0
    source.seek(0)
    for block in iter(lambda: source.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    sha = digest.hexdigest()
    path = media_path(project_id, sha, media_type.extension)
    created = False
    if not storage.exists(path):
        source.seek(0)
        saved = storage.save(path, File(source, name=path))
        created = True
        path = saved
    width = height = None
    thumbnail = None
    if media_type.kind == "image":
        width, height, thumbnail = _thumbnail(storage, project_id, sha, source)
    return StoredMedia(path, media_type, size, sha, created, width, height, thumbnail)


def _thumbnail(
    storage: Storage, project_id: int, sha: str, source: IO[bytes]
) -> tuple[int | None, int | None, str | None]:
    from PIL import Image, UnidentifiedImageError

    path = f"projects/{project_id}/thumbnails/{sha[:2]}/{sha}.jpg"
    source.seek(0)
    try:
        with Image.open(source) as image:
            width, height = image.size
            # A decompression bomb (a tiny file that unpacks to gigapixels) raises here instead of filling memory.
            if width * height > Image.MAX_IMAGE_PIXELS:  # type: ignore[operator]
                return width, height, None
            if storage.exists(path):
                return width, height, path
            image.draft("RGB", THUMBNAIL_SIZE)
            thumb = image.convert("RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
            buffer = io.BytesIO()
            thumb.save(buffer, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None, None, None
    storage.save(path, ContentFile(buffer.getvalue()))
    return width, height, path


def spooled() -> IO[bytes]:
    """A temporary file that stays in memory while small and moves to disk when large."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


def signed_media_url(path: str) -> str:
    """A URL that serves ``path`` for a short time, without a session (for workers' browsers and clients)."""
    token = signing.TimestampSigner(salt=SIGNED_URL_SALT).sign_object({"p": path}, compress=True)
    return reverse("datasets:media", args=[token])


def path_from_token(token: str, *, max_age: int) -> str:
    value = signing.TimestampSigner(salt=SIGNED_URL_SALT).unsign_object(token, max_age=max_age)
    return str(value["p"])
