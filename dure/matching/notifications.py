"""Notifications matching sends (run inside jobs, after the event's commit; notices.notify dedupes)."""

from __future__ import annotations

from typing import Any

from dure.matching import ranking
from dure.matching.models import (
    InvitationKind,
    ProjectFeatures,
    ProjectInvitation,
    WorkerFeatures,
    WorkerSkill,
)
from dure.notices.models import Kind
from dure.notices.services import notify
from dure.projects.models import ProjectMember, ProjectStatus, ProjectVisibility

#: how many of the best-fitting workers hear about a newly opened project
NOTIFY_TOP = 50
#: candidates scored per opened project: the best measured on its data type
NOTIFY_CANDIDATES = 5000
#: a worker whose fit is below this is not told, however few candidates there are
NOTIFY_MIN_FIT = 0.45


def invitation(invitation_id: int) -> None:
    found = ProjectInvitation.objects.filter(pk=invitation_id).select_related("project").first()
    if found is None or found.state != "pending":
        return
    qualification = found.kind == InvitationKind.QUALIFICATION
    notify(
        recipient_id=found.user_id,
        kind=Kind.PROJECT_INVITATION,
        key=f"invitation:{found.pk}",
        data={"project": found.project.name, "message": found.message, "qualification": qualification},
        link="/matching/",
    )


def best_workers(row: dict[str, Any], *, top: int = NOTIFY_TOP) -> list[tuple[int, float]]:
    """The best-fitting measured workers for a project's feature row, with their fit."""
    skills = list(
        WorkerSkill.objects.filter(data_type=row["data_type"], approved__gte=ranking.MEASURED_ITEMS)
        .order_by("-quality")
        .values("user_id", "approved", "quality", "median_seconds")[:NOTIFY_CANDIDATES]
    )
    if not skills:
        return []
    extra: dict[int, dict[str, Any]] = {
        f["user_id"]: dict(f)
        for f in WorkerFeatures.objects.filter(user_id__in=[s["user_id"] for s in skills]).values(
            "user_id", "certifications", "languages", "devices"
        )
    }
    rows = [
        {
            **s,
            **{k: extra.get(s["user_id"], {}).get(k, []) for k in ("certifications", "languages", "devices")},
        }
        for s in skills
    ]
    width = max(1, max([*row["certifications"], 0]) // 64 + 1)
    candidates = ranking.Candidates.build(rows, width=width)
    scores, eligible = ranking.score_workers(candidates, row)
    # Only people who can start today: certified, reading the language, with the right device.
    chosen = ranking.top(scores, top, mask=eligible & (scores >= NOTIFY_MIN_FIT))
    return [(int(candidates.user_ids[i]), float(scores[i])) for i in chosen]


def project_opened(project_id: int) -> int:
    features = ProjectFeatures.objects.filter(project_id=project_id).select_related("project").first()
    if features is None:
        return 0
    project = features.project
    if project.status != ProjectStatus.OPEN or project.visibility != ProjectVisibility.PUBLIC:
        return 0
    row = {
        f: getattr(features, f)
        for f in (
            "data_type",
            "language",
            "needs_microphone",
            "needs_camera",
            "phone_ok",
            "certifications",
            "expected_seconds",
        )
    }
    members = set(ProjectMember.objects.filter(project=project).values_list("user_id", flat=True))
    told = 0
    for user_id, _fit in best_workers(row):
        if user_id in members:
            continue
        notify(
            recipient_id=user_id,
            kind=Kind.PROJECT_MATCH,
            key=f"match:{project.pk}",
            data={"project": project.name, "price": project.price_per_item},
            link=f"/matching/projects/{project.pk}/",
        )
        told += 1
    return told
