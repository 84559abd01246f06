"""``{% pinned_announcements project %}``: a project's unread announcements, for the project page and workspace."""

from __future__ import annotations

from typing import Any

from django import template

from dure.notices import selectors

register = template.Library()


@register.inclusion_tag("notices/pinned.html", takes_context=True)
def pinned_announcements(context: Any, project: Any) -> dict[str, Any]:
    request = context["request"]
    user = getattr(request, "user", None)
    found = (
        selectors.unread_announcements(user=user, project_id=project.pk)
        if user is not None and user.is_authenticated
        else []
    )
    return {"announcements": found, "project": project, "next": request.get_full_path(), "request": request}
