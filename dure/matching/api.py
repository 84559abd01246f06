"""Matching API: recommendations and the talent profile for a person; talent search and invitations for
managers. Thin: parse, call one selector or service, shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from dure.core.http import user_of
from dure.matching import selectors, services
from dure.matching.models import InvitationKind, ProjectInvitation
from dure.matching.schemas import (
    InvitationIn,
    InvitationOut,
    JoinOut,
    ProfileIn,
    ProfileOut,
    RecommendationOut,
    RecommendationsOut,
    TalentOut,
    TalentQueryIn,
)
from dure.projects.selectors import project_access

router = Router(tags=["matching"])


def next_url(invitation: ProjectInvitation) -> str:
    if invitation.kind == InvitationKind.QUALIFICATION:
        from dure.academy.selectors import requirement_of

        requirement = requirement_of(project_id=invitation.project_id)
        if requirement is not None and requirement.qualification_exam_id is not None:
            return f"/academy/exams/{requirement.qualification_exam_id}/"
    return f"/projects/{invitation.project_id}/work/"


def invitation_out(invitation: ProjectInvitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "project_id": invitation.project_id,
        "project": invitation.project.name,
        "user_id": invitation.user_id,
        "username": invitation.user.username,
        "kind": invitation.kind,
        "state": invitation.state,
        "message": invitation.message,
        "created_at": invitation.created_at,
        "decided_at": invitation.decided_at,
        "next_url": next_url(invitation),
    }


def profile_out(profile: Any) -> dict[str, Any]:
    return {
        "opted_in": profile.opted_in,
        "headline": profile.headline,
        "languages": profile.languages,
        "devices": profile.devices,
        "seen_devices": profile.seen_devices,
    }


@router.get("/matching/projects", response=RecommendationsOut)
def recommended_projects(request: HttpRequest) -> dict[str, Any]:
    found = selectors.recommendations(user=user_of(request))
    return {key: [r.as_dict() for r in rows] for key, rows in found.items()}


@router.get("/matching/projects/{project_id}", response=RecommendationOut)
def recommended_project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    return selectors.recommendation_for(user=user_of(request), project_id=project_id).as_dict()


@router.post("/matching/projects/{project_id}/join", response=JoinOut)
def join(request: HttpRequest, project_id: int) -> dict[str, Any]:
    project = services.join_project(user=user_of(request), project_id=project_id)
    return {"project_id": project.pk, "work_url": f"/projects/{project.pk}/work/"}


@router.get("/matching/profile", response=ProfileOut)
def get_profile(request: HttpRequest) -> dict[str, Any]:
    return profile_out(selectors.talent_profile(user=user_of(request)))


@router.patch("/matching/profile", response=ProfileOut)
def update_profile(request: HttpRequest, body: ProfileIn) -> dict[str, Any]:
    profile = services.set_talent_profile(user=user_of(request), **body.dict(exclude_unset=True))
    return profile_out(profile)


@router.get("/matching/talent", response=list[TalentOut])
def talent(request: HttpRequest, query: Query[TalentQueryIn]) -> list[dict[str, Any]]:
    user = user_of(request)
    project = None
    if query.project_id is not None:
        access = project_access(user=user, project_id=query.project_id)
        access.require(access.can_manage)
        project = access.project
    return selectors.talent_search(
        user=user,
        query=selectors.TalentQuery(
            data_type=query.data_type,
            certification=query.certification,
            min_level=query.min_level,
            min_approved=query.min_approved,
            min_quality=query.min_quality,
            limit=query.limit,
        ),
        project=project,
    )


@router.get("/matching/invitations", response=list[InvitationOut])
def my_invitations(request: HttpRequest) -> list[dict[str, Any]]:
    return [invitation_out(i) for i in selectors.invitations_of(user=user_of(request))[:200]]


@router.post("/matching/invitations/{invitation_id}/accept", response=InvitationOut)
def accept(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    return invitation_out(services.accept_invitation(user=user_of(request), invitation_id=invitation_id))


@router.post("/matching/invitations/{invitation_id}/decline", response=InvitationOut)
def decline(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    return invitation_out(services.decline_invitation(user=user_of(request), invitation_id=invitation_id))


@router.get("/projects/{project_id}/invitations", response=list[InvitationOut])
def project_invitations(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return [invitation_out(i) for i in selectors.project_invitations(project=access.project)[:500]]


@router.post("/projects/{project_id}/invitations", response={201: InvitationOut})
def create_invitation(request: HttpRequest, project_id: int, body: InvitationIn) -> Status:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(access.can_manage)
    invitation = services.invite(
        actor=user, project=access.project, user=body.user, kind=body.kind, message=body.message
    )
    return Status(201, invitation_out(invitation))


@router.post("/projects/{project_id}/invitations/{invitation_id}/revoke", response=InvitationOut)
def revoke(request: HttpRequest, project_id: int, invitation_id: int) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return invitation_out(services.revoke_invitation(project=access.project, invitation_id=invitation_id))
