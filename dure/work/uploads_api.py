"""``POST /assignments/{id}/files``: a worker uploads a photo, recording or video for a collection item."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from dure.core.http import user_of
from dure.work import uploads

router = Router(tags=["work"])


class StoredFileOut(Schema):
    path: str
    size: int
    content_type: str
    duration_seconds: float | None
    sha256: str


@router.post("/assignments/{assignment_id}/files", response={201: StoredFileOut})
def upload_file(
    request: HttpRequest,
    assignment_id: int,
    file: File[UploadedFile],
    output: Form[str | None] = None,
) -> Status:
    """Checks the file by its content (not its name) against the project's ``file_upload`` output and
    stores it. Put the answer's ``path`` (with ``size``, ``content_type``, ``duration_seconds``) in the
    submitted answer. 415 ``unsupported_media_type``, 413 ``payload_too_large``, 422 ``too_short`` /
    ``too_long``."""
    stored = uploads.store_upload(
        worker=user_of(request),
        assignment_id=assignment_id,
        upload=file.open("rb"),
        size=file.size or 0,
        output=output,
    )
    return Status(201, stored.as_dict())
