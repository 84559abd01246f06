"""Serving a stored file with HTTP range requests (RFC 9110 §14), from any Django storage.

Browsers seek in audio and video by asking for byte ranges; without ``206 Partial Content`` a player can
only play from the start, and Chromium will not let wavesurfer or a ``<video>`` jump. One range is answered
with 206; several ranges at once (rare, and only from download tools) get the whole file with 200, which the
RFC allows. A range that starts past the end is ``416`` with ``Content-Range: bytes */size``.

Filesystem storage seeks in the open file. On S3 (django-storages) the object is read with a ranged
``GetObject`` and streamed, so a seek near the end of a long recording never downloads the rest of it.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date

CHUNK_BYTES = 64 * 1024
_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    #: inclusive, as in the ``Content-Range`` header
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The range asks for bytes the file does not have (416)."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range a ``Range`` header asks for, or None to send the whole file.

    None as well for a header that is not a valid bytes range (the RFC says to ignore it) and for several
    ranges (answering them with the whole file is allowed and saves a multipart body).
    """
    if not header:
        return None
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip() or "," in spec:
        return None
    match = _RANGE.match(spec)
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else max(start, size - 1)
    if end < start:
        return None  # invalid, so ignored
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


class _FileWindow:
    """The bytes of an open file from ``start``, ``length`` of them; closes the file even if never read
    (a HEAD request, or a client that went away)."""

    def __init__(self, handle: IO[bytes], start: int, length: int) -> None:
        self.handle, self.start, self.left = handle, start, length

    def __iter__(self) -> Iterator[bytes]:
        self.handle.seek(self.start)
        while self.left > 0:
            chunk = self.handle.read(min(CHUNK_BYTES, self.left))
            if not chunk:
                break
            self.left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.handle.close()


def _s3_chunks(s3_object: Any, byte_range: ByteRange | None) -> Iterator[bytes]:
    params = {"Range": f"bytes={byte_range.start}-{byte_range.end}"} if byte_range else {}
    body = s3_object.get(**params)["Body"]
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def _modified(storage: Storage, path: str) -> str | None:
    try:
        return http_date(storage.get_modified_time(path).timestamp())
    except (NotImplementedError, OSError):
        return None


def ranged_file_response(
    request: HttpRequest, *, storage: Storage, path: str, content_type: str | None = None
) -> HttpResponseBase:
    """The stored file at ``path`` (which must exist), whole or the one range the request asks for."""
    content_type = content_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
    handle = storage.open(path, "rb")
    # django-storages' S3File knows its size from the HEAD it made on opening; reading it would download all
    s3_object = getattr(handle, "obj", None)
    size = int(s3_object.content_length) if s3_object is not None else storage.size(path)
    # the S3 object's HEAD already brought its date: asking the storage would make a second round trip
    last_modified = (
        http_date(s3_object.last_modified.timestamp()) if s3_object is not None else _modified(storage, path)
    )
    byte_range: ByteRange | None = None
    if request.method in {"GET", "HEAD"}:
        if_range = request.headers.get("If-Range")
        # a range is only for the version the client already has part of; otherwise it gets the whole file
        if if_range is None or (last_modified is not None and if_range.strip() == last_modified):
            try:
                byte_range = parse_range(request.headers.get("Range"), size)
            except Unsatisfiable:
                handle.close()
                refused = HttpResponse(status=416, content_type=content_type)
                refused["Content-Range"] = f"bytes */{size}"
                refused["Accept-Ranges"] = "bytes"
                return refused
    chunks: Iterable[bytes]
    if s3_object is not None:
        handle.close()
        chunks = _s3_chunks(s3_object, byte_range)
    elif byte_range is not None:
        chunks = _FileWindow(handle, byte_range.start, byte_range.length)
    else:
        chunks = _FileWindow(handle, 0, size)
    response = StreamingHttpResponse(chunks, content_type=content_type, status=206 if byte_range else 200)
    response["Content-Length"] = str(byte_range.length if byte_range else size)
    if byte_range:
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    response["Accept-Ranges"] = "bytes"
    if last_modified:
        response["Last-Modified"] = last_modified
    return response
