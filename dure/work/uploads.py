"""Collection uploads: a worker's photo, recording or video for a ``file_upload`` output.

The type is decided by the file's content (magic bytes), never by its name or the browser's claim; size
and, for audio and video, length are checked against the project's spec before anything is stored. Files
are stored through Django's default storage under ``uploads/<project>/<assignment>/<sha256>.<ext>``, so
the same file uploaded twice is stored once and the path says which project may read it.
"""

from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dure.accounts.models import User
from dure.core.errors import DureError, InvalidInput
from dure.projects.selectors import spec_of
from dure.projects.spec import FileUpload
from dure.work.errors import AssignmentClosed, AssignmentNotFound, LeaseExpired
from dure.work.models import Assignment, AssignmentState

#: the magic bytes of every format ``filetype`` knows sit in the first few kilobytes
_HEAD_BYTES = 8192

#: containers that hold sound alone as often as video: a browser's MediaRecorder writes audio as WebM
_AUDIO_CONTAINERS = {
    "video/webm": "audio/webm",
    "video/x-matroska": "audio/x-matroska",
    "video/mp4": "audio/mp4",
}
#: the same format under the names browsers, specs and ``filetype`` use
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "image/jpg": "image/jpeg",
}


class UnsupportedMediaType(DureError):
    status = 415
    code = "unsupported_media_type"
    default_message = gettext_lazy("This kind of file is not accepted here.")


class FileTooLarge(DureError):
    status = 413
    code = "payload_too_large"
    default_message = gettext_lazy("The file is too large.")


class RecordingTooShort(DureError):
    status = 422
    code = "too_short"
    default_message = gettext_lazy("The recording is too short.")


class RecordingTooLong(DureError):
    status = 422
    code = "too_long"
    default_message = gettext_lazy("The recording is too long.")


class NoFileOutput(InvalidInput):
    code = "no_file_output"
    default_message = gettext_lazy("This project does not collect files.")


@dataclass(frozen=True)
class StoredFile:
    path: str
    size: int
    content_type: str
    duration_seconds: float | None
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "content_type": self.content_type,
            "duration_seconds": self.duration_seconds,
            "sha256": self.sha256,
        }


def _normal(mime: str) -> str:
    mime = mime.lower().strip()
    return _ALIASES.get(mime, mime)


def accepts(accept: list[str], content_type: str, extension: str) -> bool:
    """``accept`` as in HTML: ``image/*``, ``audio/wav``, ``.png`` or ``*/*``."""
    content_type = _normal(content_type)
    for pattern in (p.strip().lower() for p in accept):
        if pattern in {"*", "*/*"}:
            return True
        if pattern.startswith("."):
            if pattern[1:] == extension:
                return True
        elif pattern.endswith("/*"):
            if content_type.startswith(pattern[:-1]):
                return True
        elif _normal(pattern) == content_type:
            return True
    return False


def sniff(head: bytes, accept: list[str]) -> tuple[str, str]:
    """(content type, extension) from the content; refuses what it cannot recognise or the spec refuses."""
    kind = filetype.guess(head)
    if kind is None:
        raise UnsupportedMediaType(accept=accept)
    content_type, extension = _normal(kind.mime), kind.extension
    if accepts(accept, content_type, extension):
        return content_type, extension
    audio = _AUDIO_CONTAINERS.get(content_type)
    if audio is not None and accepts(accept, audio, extension):
        return audio, extension
    raise UnsupportedMediaType(accept=accept, detected=content_type)


def measure_duration(stream: IO[bytes], content_type: str) -> float | None:
    """Seconds of sound or video, or None when the format does not say (WebM from a browser often doesn't)."""
    if not content_type.startswith(("audio/", "video/")):
        return None
    stream.seek(0)
    if content_type == "audio/wav":
        try:
            with wave.open(stream, "rb") as recording:
                rate = recording.getframerate()
                return round(recording.getnframes() / rate, 3) if rate else None
        except (wave.Error, EOFError):
            pass  # e.g. WAVE_FORMAT_EXTENSIBLE or float samples: mutagen reads those
        stream.seek(0)
    try:
        import mutagen

        media = mutagen.File(stream)
    except Exception:  # mutagen raises many kinds of error on damaged or unknown files
        return None
    length = getattr(getattr(media, "info", None), "length", None)
    if isinstance(length, int | float) and length > 0:
        return round(float(length), 3)
    return None


def _file_output(assignment: Assignment, name: str | None) -> FileUpload:
    outputs = [o for o in spec_of(assignment.project).outputs if isinstance(o, FileUpload)]
    if name:
        outputs = [o for o in outputs if o.name == name]
    if not outputs:
        raise NoFileOutput(output=name)
    return outputs[0]


def _live_assignment(worker: User, assignment_id: int) -> Assignment:
    assignment = Assignment.objects.select_related("project").filter(pk=assignment_id, worker=worker).first()
    if assignment is None:
        raise AssignmentNotFound()
    if assignment.state == AssignmentState.EXPIRED or (
        assignment.state == AssignmentState.ACTIVE and assignment.expires_at <= timezone.now()
    ):
        raise LeaseExpired(expired_at=assignment.expires_at.isoformat())
    if assignment.state != AssignmentState.ACTIVE:
        raise AssignmentClosed(state=assignment.state)
    return assignment


def store_upload(
    *, worker: User, assignment_id: int, upload: IO[bytes], size: int, output: str | None = None
) -> StoredFile:
    """Checks one uploaded file against the assignment's project spec and stores it; answers its reference."""
    assignment = _live_assignment(worker, assignment_id)
    spec = _file_output(assignment, output)
    if size > spec.max_bytes:
        raise FileTooLarge(max_bytes=spec.max_bytes, size=size)
    if size == 0:
        raise UnsupportedMediaType(_("The file is empty."), accept=spec.accept)
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    content_type, extension = sniff(head, spec.accept)

    digest = hashlib.sha256(head)
    upload.seek(len(head))
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    sha256 = digest.hexdigest()

    duration = measure_duration(upload, content_type)
    if duration is not None and spec.min_seconds is not None and duration < spec.min_seconds:
        raise RecordingTooShort(duration_seconds=duration, min_seconds=spec.min_seconds)
    if duration is not None and spec.max_seconds is not None and duration > spec.max_seconds:
        raise RecordingTooLong(duration_seconds=duration, max_seconds=spec.max_seconds)

    path = f"uploads/{assignment.project_id}/{assignment.pk}/{sha256}.{extension}"
    if not default_storage.exists(path):
        upload.seek(0)
        stored = default_storage.save(path, File(upload, name=path.rsplit("/", 1)[1]))
        if stored != path:  # a concurrent upload of the same bytes won the name: keep one copy
            default_storage.delete(stored)
    return StoredFile(
        path=path, size=size, content_type=content_type, duration_seconds=duration, sha256=sha256
    )


def store_bytes(*, worker: User, assignment_id: int, content: bytes, output: str | None = None) -> StoredFile:
    """The same, for content already in memory (tests, integrations that post a body)."""
    return store_upload(
        worker=worker,
        assignment_id=assignment_id,
        upload=io.BytesIO(content),
        size=len(content),
        output=output,
    )
