"""Stored media for signed-in people, with the project's permission check (production has no other way).

``uploads/<project>/…`` (collection uploads) and ``projects/<project>/…`` (item media) are served to
people with a role in that project; ``demo/…`` (the demo's generated pictures and sounds) to anyone signed
in. Anything else, and any path that tries to leave the storage root, is a 404.
"""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from dure.audit import services as audit
from dure.core.http import user_of
from dure.datasets.ranges import ranged_file_response
from dure.projects.selectors import project_access

PROJECT_PREFIXES = {"uploads", "projects"}
PUBLIC_PREFIXES = {"demo"}


def safe_parts(path: str) -> list[str]:
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or "\x00" in path or any(p in {"", ".", ".."} for p in parts):
        raise Http404
    return parts


@login_required
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    parts = safe_parts(path)
    if parts[0] in PROJECT_PREFIXES and len(parts) > 2 and parts[1].isdigit():
        access = project_access(user=user_of(request), project_id=int(parts[1]))
        if not (access.can_work or access.can_view_progress):
            raise Http404
        if not access.can_work:  # people looking at data outside the work loop (the loop itself is logged)
            audit.record("media_download", organization=access.project.organization_id, path=path)
    elif parts[0] not in PUBLIC_PREFIXES or len(parts) < 2:
        raise Http404
    if not default_storage.exists(path):
        raise Http404
    content_type, _encoding = mimetypes.guess_type(path)
    # byte ranges, so that a player can seek in a recording or a video (see dure.datasets.ranges)
    response = ranged_file_response(request, storage=default_storage, path=path, content_type=content_type)
    # Stored files come from workers: never let a browser run one as a page of this site.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
