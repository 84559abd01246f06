from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from dure.accounts.models import MANAGING_ROLES, Membership, User
from dure.core.errors import InvalidInput, NotFound, PermissionDenied
from dure.core.http import user_of
from dure.core.pagination import CursorPagination
from dure.projects import selectors, services
from dure.projects.errors import UserNotFound
from dure.projects.models import Project, ProjectMember, ProjectStatus
from dure.projects.schemas import MemberIn, MemberOut, ProjectIn, ProjectOut, ProjectPatch

router = Router(tags=["projects"])


def _out(project: Project, role: str | None = None) -> Project:
    project.your_role = role  # type: ignore[attr-defined]
    return project


@router.get("/projects", response=list[ProjectOut])
@paginate(CursorPagination)
def list_projects(request: HttpRequest) -> object:
    return selectors.visible_projects(user=user_of(request))


@router.post("/projects", response={201: ProjectOut})
def create_project(request: HttpRequest, body: ProjectIn) -> Status:
    managed = Membership.objects.filter(user=user_of(request), role__in=MANAGING_ROLES)
    if body.organization_id is not None:
        membership = managed.filter(organization_id=body.organization_id).first()
        if membership is None:
            # Not a manager there: say "not found" if they are not even a member, so existence does not leak.
            if Membership.objects.filter(
                user=user_of(request), organization_id=body.organization_id
            ).exists():
                raise PermissionDenied()
            raise NotFound()
    else:
        memberships = list(managed[:2])
        if len(memberships) != 1:
            if not memberships:
                raise PermissionDenied()
            raise InvalidInput(field="organization_id", reason="you manage several organizations; name one")
        membership = memberships[0]
    fields = body.dict(exclude={"name", "spec", "organization_id"})
    project = services.create_project(
        organization=membership.organization,
        actor=user_of(request),
        name=body.name,
        spec=body.spec,
        **fields,
    )
    return Status(201, _out(project, membership.role))


@router.get("/projects/{project_id}", response=ProjectOut)
def get_project(request: HttpRequest, project_id: int) -> Project:
    access = selectors.project_access(user=user_of(request), project_id=project_id)
    return _out(access.project, access.project_role or access.org_role)


@router.patch("/projects/{project_id}", response=ProjectOut)
def update_project(request: HttpRequest, project_id: int, body: ProjectPatch) -> Project:
    access = selectors.project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    changes = body.dict(exclude_unset=True, exclude_none=True)
    project = services.update_project(project=access.project, changes=changes)
    if {"price_per_item", "review_price"} & set(changes):
        from dure.payments.selectors import price_advice

        project.warnings = price_advice(project=project)["warnings"]  # type: ignore[attr-defined]
    return _out(project, access.project_role or access.org_role)


def _status_endpoint(status: str, name: str) -> None:
    @router.post(f"/projects/{{project_id}}/{name}", response=ProjectOut, operation_id=f"project_{name}")
    def change_status(request: HttpRequest, project_id: int) -> Project:
        access = selectors.project_access(user=user_of(request), project_id=project_id)
        access.require(access.can_manage)
        return _out(services.set_status(project=access.project, status=status), access.org_role)


_status_endpoint(ProjectStatus.OPEN, "open")
_status_endpoint(ProjectStatus.PAUSED, "pause")
_status_endpoint(ProjectStatus.CLOSED, "close")


@router.get("/projects/{project_id}/members", response=list[MemberOut])
def list_members(request: HttpRequest, project_id: int) -> list[dict]:
    access = selectors.project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return [
        {"user_id": m.user_id, "username": m.user.username, "role": m.role}
        for m in ProjectMember.objects.filter(project=access.project).select_related("user").order_by("id")
    ]


@router.post("/projects/{project_id}/members", response={201: MemberOut})
def add_member(request: HttpRequest, project_id: int, body: MemberIn) -> Status:
    access = selectors.project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    lookup = (
        Q(username=body.user)
        if isinstance(body.user, str) and not body.user.isdigit()
        else Q(pk=int(body.user))
    )
    user = User.objects.filter(lookup, is_active=True).first()
    if user is None:
        raise UserNotFound()
    member = services.set_project_member(project=access.project, user=user, role=body.role)
    return Status(201, {"user_id": user.pk, "username": user.username, "role": member.role})


@router.delete("/projects/{project_id}/members/{user_id}", response={204: None})
def remove_member(request: HttpRequest, project_id: int, user_id: int) -> Status:
    access = selectors.project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        services.remove_project_member(project=access.project, user=user)
    return Status(204, None)
