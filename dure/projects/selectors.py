"""Reads for projects, and the one place that decides what a user may do in a project.

Every project-scoped endpoint goes through ``project_access``: a project the caller has no role in does
not exist for them (404, never 403, so existence does not leak).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery

from dure.accounts.models import MANAGING_ROLES, Membership, Role, User
from dure.core.errors import PermissionDenied
from dure.projects.errors import ProjectNotFound
from dure.projects.models import Project, ProjectMember, ProjectRole
from dure.projects.spec import InterfaceSpec, parse_spec


@dataclass(frozen=True)
class Access:
    project: Project
    org_role: str | None
    project_role: str | None

    @property
    def can_manage(self) -> bool:
        return self.org_role in MANAGING_ROLES or self.project_role == ProjectRole.MANAGER

    @property
    def can_view_progress(self) -> bool:
        return self.can_manage or self.can_review or self.org_role == Role.VIEWER

    @property
    def can_export(self) -> bool:
        return self.can_manage or self.org_role == Role.VIEWER

    @property
    def can_work(self) -> bool:
        return self.can_manage or self.project_role in {ProjectRole.WORKER, ProjectRole.REVIEWER}

    @property
    def can_review(self) -> bool:
        return self.can_manage or self.org_role == Role.REVIEWER or self.project_role == ProjectRole.REVIEWER

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied()


def _with_roles(queryset: QuerySet[Project], user: User) -> QuerySet[Project]:
    return queryset.annotate(
        org_role=Subquery(
            Membership.objects.filter(organization_id=OuterRef("organization_id"), user_id=user.pk).values(
                "role"
            )[:1]
        ),
        project_role=Subquery(
            ProjectMember.objects.filter(project_id=OuterRef("pk"), user_id=user.pk).values("role")[:1]
        ),
    )


#: (user, project) → (expires, Access). The work loop asks for access on every request; roles and project
#: settings change rarely. Saves in this process clear it at once (signals in apps.py); other processes see
#: a change within this many seconds.
ACCESS_CACHE_SECONDS = 2.0
_access_cache: dict[tuple[int, int], tuple[float, Access]] = {}


def forget_access() -> None:
    _access_cache.clear()


def project_access(*, user: User, project_id: int) -> Access:
    """The project with the caller's organization role and project role (one query, then cached briefly)."""
    key = (user.pk, project_id)
    cached = _access_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        access = cached[1]
        # A copy of the project per request: the cached one is shared between threads.
        return Access(
            project=copy.copy(access.project), org_role=access.org_role, project_role=access.project_role
        )
    access = _project_access(user=user, project_id=project_id)
    if len(_access_cache) > 50_000:
        _access_cache.clear()
    _access_cache[key] = (time.monotonic() + ACCESS_CACHE_SECONDS, access)
    return Access(
        project=copy.copy(access.project), org_role=access.org_role, project_role=access.project_role
    )


def _project_access(*, user: User, project_id: int) -> Access:
    project = _with_roles(Project.objects.filter(pk=project_id), user).first()
    if project is None:
        raise ProjectNotFound()
    org_role = project.org_role  # type: ignore[attr-defined]
    project_role = project.project_role  # type: ignore[attr-defined]
    if org_role is None and project_role is None:
        raise ProjectNotFound()
    # A plain organization worker or viewer sees only projects they belong to or may view.
    if org_role in {Role.WORKER} and project_role is None:
        raise ProjectNotFound()
    return Access(project=project, org_role=org_role, project_role=project_role)


def visible_projects(*, user: User) -> QuerySet[Project]:
    """Projects the user can see: every project of organizations they run or view, and their own ones."""
    return (
        Project.objects.filter(
            Q(
                organization__memberships__user=user,
                organization__memberships__role__in=[*MANAGING_ROLES, Role.VIEWER, Role.REVIEWER],
            )
            | Q(members__user=user)
        )
        .distinct()
        .order_by("-created_at", "-id")
    )


_SPEC_CACHE: dict[tuple[int, str], InterfaceSpec] = {}


def spec_of(project: Project) -> InterfaceSpec:
    """The parsed interface spec, cached per project version (parsing is pure, so a process cache is safe)."""
    key = (project.pk, project.updated_at.isoformat())
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        if len(_SPEC_CACHE) > 512:
            _SPEC_CACHE.clear()
        spec = _SPEC_CACHE[key] = parse_spec(project.spec)
    return spec
