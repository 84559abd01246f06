"""The browser workspace pages: labelling and review. The page mounts the TypeScript app with the project's
spec, its guideline and the translated UI strings; the app then talks to the JSON API with the session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from dure.core.http import user_of
from dure.notices.selectors import faq_choices
from dure.projects.selectors import project_access, spec_of
from dure.web.rendering import render_markdown

#: Reasons a reviewer picks from; stable codes, translated on screen (the worker may read another language).
REVIEW_REASONS = ["wrong_label", "missed", "extra", "boundary", "transcription", "guideline", "incomplete"]


def _page(request: HttpRequest, project_id: int, mode: str) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_review if mode == "review" else access.can_work)
    project = access.project
    config: dict[str, Any] = {
        "mode": mode,
        "project": {
            "id": project.pk,
            "name": project.name,
            "spec": spec_of(project).model_dump(mode="json"),
            "guideline_html": str(render_markdown(project.guideline)),
        },
        "api": "/api/v1",
        "media_url": settings.MEDIA_URL,
        "csrf": get_token(request),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "home_url": reverse("web:home"),
        "review_reasons": list(getattr(project, "review_reasons", None) or REVIEW_REASONS),
        # FAQ entries a reviewer may link in a rejection (``faq:<id>``), and how either side shows them
        "faq": faq_choices(project_id=project.pk),
    }
    return render(request, "web/workspace/page.html", {"project": project, "mode": mode, "config": config})


@login_required
def work(request: HttpRequest, project_id: int) -> HttpResponse:
    return _page(request, project_id, "work")


@login_required
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    return _page(request, project_id, "review")
