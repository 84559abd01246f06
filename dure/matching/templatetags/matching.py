"""Matching sections other pages include: recommended projects on the home page, the talent opt-in on the
profile page (so those pages need no matching code in their views)."""

from __future__ import annotations

from typing import Any

from django import template

from dure.accounts.models import User

register = template.Library()


@register.inclusion_tag("matching/_home.html", takes_context=True)
def recommended_projects(context: Any, limit: int = 3) -> dict[str, Any]:
    from dure.matching.selectors import recommendations

    user = context["request"].user
    if not isinstance(user, User) or not user.is_authenticated:
        return {"recommended": []}
    # Projects they already work on are listed above in "Your work"; here only what is new to them.
    found = recommendations(user=user, limit=limit + 10, micro_limit=0)["projects"]
    return {"recommended": [r for r in found if not r.member][:limit]}


@register.inclusion_tag("matching/_opt_in.html", takes_context=True)
def talent_opt_in(context: Any) -> dict[str, Any]:
    from dure.matching.selectors import talent_profile

    request = context["request"]
    return {
        "profile": talent_profile(user=request.user),
        "next": request.path,
        "csrf_token": context.get("csrf_token"),
    }
