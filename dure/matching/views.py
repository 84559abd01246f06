"""Matching pages: recommended projects and micro-jobs for a worker (with invitations and the talent
opt-in), one project's page with its reasons and a join button, and talent search for managers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dure.core.errors import DureError
from dure.core.http import user_of
from dure.matching import datatypes, selectors, services
from dure.matching.api import next_url
from dure.matching.models import InvitationKind
from dure.projects.models import ProjectVisibility
from dure.projects.selectors import project_access
from dure.projects.services import update_project


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    found = selectors.recommendations(user=user)
    return render(
        request,
        "matching/index.html",
        {
            "recommended": found["projects"],
            "micro_jobs": found["micro_jobs"],
            "invitations": list(selectors.invitations_of(user=user, pending_only=True)[:20]),
            "profile": selectors.talent_profile(user=user),
            "can_search": selectors.may_search_talent(user=user),
        },
    )


@login_required
def project(request: HttpRequest, project_id: int) -> HttpResponse:
    recommendation = selectors.recommendation_for(user=user_of(request), project_id=project_id)
    return render(request, "matching/project.html", {"r": recommendation})


@login_required
@require_POST
def join(request: HttpRequest, project_id: int) -> HttpResponse:
    joined = services.join_project(user=user_of(request), project_id=project_id)
    return redirect(f"/projects/{joined.pk}/work/")


@login_required
@require_POST
def accept(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = services.accept_invitation(user=user_of(request), invitation_id=invitation_id)
    messages.success(request, _("You joined %(project)s.") % {"project": invitation.project.name})
    return redirect(next_url(invitation))


@login_required
@require_POST
def decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    services.decline_invitation(user=user_of(request), invitation_id=invitation_id)
    return redirect("matching:index")


@login_required
@require_POST
def profile(request: HttpRequest) -> HttpResponse:
    post = request.POST
    changes: dict[str, Any] = {"opted_in": post.get("opted_in") == "on"}
    if "headline" in post:
        changes["headline"] = post.get("headline", "")
    if "devices_sent" in post:
        changes["devices"] = post.getlist("devices")
    if "languages_sent" in post:
        changes["languages"] = post.getlist("languages")
    try:
        services.set_talent_profile(user=user_of(request), **changes)
        messages.success(request, _("Saved."))
    except DureError as error:
        messages.error(request, str(error.message))
    return _back(request, "matching:index")


@login_required
def talent(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    selectors.require_talent_search(user=user)
    projects = list(selectors.manageable_projects(user=user)[:200])
    get = request.GET

    def number(name: str, kind: type = int) -> Any:
        try:
            return kind(get[name]) if get.get(name) not in (None, "") else None
        except ValueError:
            return None

    chosen = None
    if number("project"):
        access = project_access(user=user, project_id=number("project"))
        access.require(access.can_manage)
        chosen = access.project
    quality = number("min_quality", float)
    query = selectors.TalentQuery(
        data_type=get.get("data_type") or None,
        certification=get.get("certification") or None,
        min_level=number("min_level"),
        min_approved=number("min_approved") or 0,
        min_quality=quality / 100 if quality is not None else None,
    )
    searched = bool(get)
    results = selectors.talent_search(user=user, query=query, project=chosen) if searched else []
    from dure.academy.models import Certification
    from dure.quality.models import Level

    return render(
        request,
        "matching/talent.html",
        {
            "projects": projects,
            "chosen": chosen,
            "results": results,
            "searched": searched,
            "query": get,
            "data_types": [(key, datatypes.label(key)) for key in datatypes.DATA_TYPES],
            "certifications": Certification.objects.order_by("name"),
            "levels": Level.objects.order_by("rank"),
            "invitations": list(selectors.project_invitations(project=chosen)[:50]) if chosen else [],
            "public": ProjectVisibility.PUBLIC,
        },
    )


@login_required
@require_POST
def invite(request: HttpRequest, project_id: int) -> HttpResponse:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(access.can_manage)
    kind = request.POST.get("kind", InvitationKind.PROJECT)
    if kind not in InvitationKind.values:
        kind = InvitationKind.PROJECT
    try:
        invitation = services.invite(
            actor=user,
            project=access.project,
            user=request.POST.get("user", ""),
            kind=kind,
            message=request.POST.get("message", ""),
        )
        messages.success(
            request,
            _("%(person)s was invited to %(project)s.")
            % {"person": invitation.user, "project": access.project.name},
        )
    except DureError as error:
        messages.error(request, str(error.message))
    return _back(request, f"/matching/talent/?project={project_id}")


@login_required
@require_POST
def visibility(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    value = request.POST.get("visibility", "")
    if value in ProjectVisibility.values:
        update_project(project=access.project, changes={"visibility": value})
        messages.success(request, _("Saved."))
    return _back(request, f"/matching/talent/?project={project_id}")
