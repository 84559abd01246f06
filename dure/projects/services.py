"""Writes for projects: creation, settings, status, members."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dure.accounts.models import Organization, User
from dure.core.errors import InvalidInput
from dure.projects.errors import InvalidTransition
from dure.projects.models import Project, ProjectMember, ProjectStatus
from dure.projects.spec import parse_spec

EDITABLE_FIELDS = {
    "name",
    "country",
    "description",
    "guideline",
    "spec",
    "price_per_item",
    "review_price",
    "overlap",
    "max_rework_rounds",
    "lease_seconds",
    "rework_hours",
    "max_active_seconds",
    "visibility",
    "language",
    "second_review_rate",
    "second_review_new_reviewer_decisions",
}

# Changing how many people answer an item, or what an answer is, after work started would orphan answers.
FROZEN_AFTER_DRAFT = {"spec", "overlap"}

TRANSITIONS = {
    ProjectStatus.DRAFT: {ProjectStatus.OPEN, ProjectStatus.CLOSED},
    ProjectStatus.OPEN: {ProjectStatus.PAUSED, ProjectStatus.CLOSED},
    ProjectStatus.PAUSED: {ProjectStatus.OPEN, ProjectStatus.CLOSED},
    ProjectStatus.CLOSED: set(),
}


def _check_numbers(values: dict[str, Any]) -> None:
    limits = {
        "overlap": (1, 20),
        "max_rework_rounds": (0, 20),
        "lease_seconds": (60, 7 * 24 * 3600),
        "rework_hours": (1, 30 * 24),
        "max_active_seconds": (60, 24 * 3600),
        "price_per_item": (0, 100_000_000),
        "review_price": (0, 100_000_000),
        "second_review_rate": (0, 1),
        "second_review_new_reviewer_decisions": (0, 1_000_000),
    }
    for field, (low, high) in limits.items():
        if field in values and not low <= values[field] <= high:
            raise InvalidInput(field=field, minimum=low, maximum=high)


def create_project(
    *, organization: Organization, actor: User | None, name: str, spec: Any, **fields: Any
) -> Project:
    parse_spec(spec)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(fields=sorted(unknown))
    _check_numbers(fields)
    return Project.objects.create(organization=organization, created_by=actor, name=name, spec=spec, **fields)


def update_project(*, project: Project, changes: dict[str, Any]) -> Project:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(fields=sorted(unknown))
    if "spec" in changes:
        parse_spec(changes["spec"])
    _check_numbers(changes)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        frozen = {f for f in FROZEN_AFTER_DRAFT & set(changes) if changes[f] != getattr(project, f)}
        if frozen and project.status != ProjectStatus.DRAFT:
            raise InvalidTransition(fields=sorted(frozen))
        for field, value in changes.items():
            setattr(project, field, value)
        project.save()
    return project


def set_status(*, project: Project, status: str) -> Project:
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if status != project.status and status not in TRANSITIONS[ProjectStatus(project.status)]:
            raise InvalidTransition(current=project.status, requested=status)
        project.status = status
        project.save(update_fields=["status", "updated_at"])
    return project


def set_project_member(*, project: Project, user: User, role: str) -> ProjectMember:
    member, _ = ProjectMember.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return member


def remove_project_member(*, project: Project, user: User) -> None:
    ProjectMember.objects.filter(project=project, user=user).delete()
