"""Reads for matching: recommendations for a worker, talent for a manager, invitations.

Who may see a project here is decided in one place, ``may_discover``: an open project that is public,
or private and the person is a member of it or holds a pending invitation. Listings, recommendations,
the project page and joining all ask it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from dure.academy.models import Certification, UserCertification
from dure.accounts.models import MANAGING_ROLES, Membership, User
from dure.matching import datatypes, ranking
from dure.matching.errors import TalentSearchDenied, UnknownDataType
from dure.matching.models import (
    InvitationState,
    ProjectFeatures,
    ProjectInvitation,
    TalentProfile,
    WorkerFeatures,
    WorkerSkill,
)
from dure.projects.errors import ProjectNotFound
from dure.projects.models import Project, ProjectMember, ProjectRole, ProjectStatus, ProjectVisibility

RECOMMENDATIONS = 10
MICRO_JOBS = 6
#: ranking for a project scores at most this many candidates, the best by quality on its type (quality
#: carries most of the fit, so the best fit is among them; reading more rows costs ~0.1 ms each)
TALENT_CANDIDATES = 2000

# --- the open-project matrix, shared by every request of this process ------------------------------------

_matrix_lock = threading.Lock()
_matrix: tuple[tuple[Any, ...], ranking.ProjectMatrix] | None = None
#: how long a process trusts its matrix before asking the table whether it changed (one tiny query)
MATRIX_CHECK_SECONDS = 2.0
_matrix_checked = 0.0


def forget_matrix() -> None:
    global _matrix, _matrix_checked
    _matrix = None
    _matrix_checked = 0.0


def project_matrix() -> ranking.ProjectMatrix:
    """The open projects as arrays, rebuilt only when a refresh changed the table."""
    global _matrix, _matrix_checked
    now = time.monotonic()
    if _matrix is not None and now - _matrix_checked < MATRIX_CHECK_SECONDS:
        return _matrix[1]
    _fill_missing()
    open_rows = ProjectFeatures.objects.filter(status=ProjectStatus.OPEN)
    stamp_row = open_rows.aggregate(n=Count("project_id"), last=Max("refreshed_at"))
    stamp = (stamp_row["n"], stamp_row["last"])
    with _matrix_lock:
        if _matrix is None or _matrix[0] != stamp:
            rows = list(
                open_rows.values(
                    "project_id",
                    "visibility",
                    "data_type",
                    "language",
                    "needs_microphone",
                    "needs_camera",
                    "phone_ok",
                    "micro",
                    "price_per_item",
                    "expected_seconds",
                    "certifications",
                    "qualification_exam_id",
                    "open_slots",
                ).order_by("project_id")
            )
            _matrix = (stamp, ranking.ProjectMatrix.build(rows))
        _matrix_checked = now
        return _matrix[1]


def _fill_missing() -> None:
    """An open project whose refresh job has not run yet (no worker running, or a moment after opening)
    gets its row here, once, so it is never missing from recommendations."""
    from dure.matching.features import refresh_project

    missing = Project.objects.filter(status=ProjectStatus.OPEN, matching_features__isnull=True)
    for project_id in missing.values_list("pk", flat=True)[:50]:
        refresh_project(project_id=project_id)


# --- one worker ------------------------------------------------------------------------------------------


def memberships_and_invitations(*, user: User) -> tuple[set[int], set[int]]:
    """Projects the person is a member of, and those they hold a pending invitation to."""
    members = set(ProjectMember.objects.filter(user=user).values_list("project_id", flat=True))
    invited = set(
        ProjectInvitation.objects.filter(user=user, state=InvitationState.PENDING).values_list(
            "project_id", flat=True
        )
    )
    return members, invited


def private_access(*, user: User) -> set[int]:
    """Private projects this person may discover: they are a member, or hold a pending invitation."""
    members, invited = memberships_and_invitations(user=user)
    return members | invited


def worker_vector(*, user: User, private: set[int] | None = None) -> ranking.WorkerVector:
    features = WorkerFeatures.objects.filter(user=user).first()
    profile = TalentProfile.objects.filter(user=user).first()
    languages = {user.locale, *(profile.languages if profile else [])}
    devices = set((profile.devices or profile.seen_devices) if profile else [])
    return ranking.WorkerVector.from_features(
        skills=features.skills if features else {},
        # Read live (one indexed query): a certification gained a minute ago counts now, not at the next
        # refresh.
        certifications=list(
            UserCertification.objects.filter(user=user).values_list("certification_id", flat=True)
        ),
        languages=sorted(languages),
        devices=sorted(devices),
        private_access=private_access(user=user) if private is None else private,
    )


def may_discover(*, user: User, project: Project) -> bool:
    if project.status != ProjectStatus.OPEN:
        return False
    if project.visibility == ProjectVisibility.PUBLIC:
        return True
    return project.pk in private_access(user=user)


def reason_text(code: str, params: dict[str, Any]) -> str:
    """A reason in the reader's language, worded when shown (the API returns code, params and text)."""
    values = {**params}
    if "data_type" in values:
        values["type"] = datatypes.label(values["data_type"])
    if code == "top_share":
        return _("You are in the top %(share)s%% for %(type)s") % values
    if code == "experienced":
        return _("%(approved)s items of %(type)s approved") % values
    if code == "hourly_own":
        return _("About %(hourly)s won an hour at your speed") % {"hourly": f"{values['hourly']:,}"}
    if code == "hourly_typical":
        return _("About %(hourly)s won an hour at the usual speed") % {"hourly": f"{values['hourly']:,}"}
    if code == "certified":
        return _("You hold the certifications it asks for")
    if code == "needs_certification":
        return _("Needs a certification first: %(names)s") % values
    if code == "language":
        return _("In %(language)s, which you read") % {
            "language": datatypes.LANGUAGE_NAMES.get(values["language"], values["language"])
        }
    if code == "other_language":
        return _("In %(language)s") % {
            "language": datatypes.LANGUAGE_NAMES.get(values["language"], values["language"])
        }
    if code == "phone_ok":
        return _("Works on a phone")
    if code == "needs_phone":
        return _("Needs a phone with a microphone or camera")
    if code == "needs_computer":
        return _("Needs a computer")
    if code == "invited":
        return _("You were invited")
    if code == "new_type":
        return _("New to you: %(type)s") % values
    return code


def _reasons(
    worker: ranking.WorkerVector,
    matrix: ranking.ProjectMatrix,
    scored: ranking.Scored,
    index: int,
    member: bool,
) -> list[dict[str, Any]]:
    row = matrix.rows[index]
    dt = int(matrix.data_type[index])
    data_type = row["data_type"]
    reasons: list[dict[str, Any]] = []

    def add(code: str, **params: Any) -> None:
        reasons.append({"code": code, "params": params, "text": reason_text(code, params)})

    if row["project_id"] in worker.private_access and not matrix.public[index] and not member:
        add("invited")
    percentile = worker.percentile[dt]
    if scored.measured[index] and np.isfinite(percentile) and ranking.top_share(percentile) <= 25:
        add("top_share", share=ranking.top_share(float(percentile)), data_type=data_type)
    elif scored.measured[index]:
        add("experienced", approved=int(worker.approved[dt]), data_type=data_type)
    else:
        add("new_type", data_type=data_type)
    hourly = int(round(float(scored.hourly[index]), -2))
    if hourly > 0:
        add("hourly_own" if scored.own_speed[index] else "hourly_typical", hourly=hourly)
    if row["certifications"]:
        if scored.certified[index]:
            add("certified")
        else:
            missing = [c for c in row["certifications"] if c not in worker.certifications]
            names = ", ".join(Certification.objects.filter(pk__in=missing).values_list("name", flat=True))
            add("needs_certification", names=names)
    if row["language"]:
        add("language" if scored.language_ok[index] else "other_language", language=row["language"])
    if not scored.device_ok[index]:
        add("needs_phone" if row["needs_microphone"] or row["needs_camera"] else "needs_computer")
    elif row["phone_ok"] and "phone" in worker.devices:
        add("phone_ok")
    return reasons


@dataclass
class Recommendation:
    project: Project
    fit: float
    data_type: str
    price_per_item: int
    expected_seconds: float
    hourly: int
    micro: bool
    eligible: bool
    member: bool
    invited: bool
    reasons: list[dict[str, Any]]

    @property
    def data_type_label(self) -> str:
        return datatypes.label(self.data_type)

    @property
    def expected_minutes(self) -> float:
        return round(self.expected_seconds / 60, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project.pk,
            "name": self.project.name,
            "description": self.project.description,
            "organization": self.project.organization.name,
            "data_type": self.data_type,
            "data_type_label": self.data_type_label,
            "price_per_item": self.price_per_item,
            "expected_seconds": round(self.expected_seconds, 1),
            "hourly_estimate": self.hourly,
            "micro": self.micro,
            "eligible": self.eligible,
            "member": self.member,
            "invited": self.invited,
            "fit": round(self.fit, 4),
            "reasons": self.reasons,
        }


def _shape(
    user: User,
    worker: ranking.WorkerVector,
    matrix: ranking.ProjectMatrix,
    scored: ranking.Scored,
    indices: np.ndarray,
    members: set[int],
    projects: dict[int, Project],
) -> list[Recommendation]:
    out = []
    for index in indices:
        project = projects.get(int(matrix.ids[index]))
        if project is None or not _discoverable(project, worker.private_access):
            continue
        row = matrix.rows[index]
        out.append(
            Recommendation(
                project=project,
                fit=float(scored.fit[index]),
                data_type=row["data_type"],
                price_per_item=project.price_per_item,
                expected_seconds=float(
                    worker.seconds[matrix.data_type[index]]
                    if scored.own_speed[index]
                    else matrix.expected_seconds[index]
                ),
                hourly=int(round(float(scored.hourly[index]), -2)),
                micro=bool(matrix.micro[index]),
                eligible=bool(
                    scored.certified[index] and scored.language_ok[index] and scored.device_ok[index]
                ),
                member=project.pk in members,
                invited=project.pk in worker.private_access and project.pk not in members,
                reasons=_reasons(worker, matrix, scored, index, project.pk in members),
            )
        )
    return out


def _discoverable(project: Project, private: set[int]) -> bool:
    return project.status == ProjectStatus.OPEN and (
        project.visibility == ProjectVisibility.PUBLIC or project.pk in private
    )


def recommendations(
    *, user: User, limit: int = RECOMMENDATIONS, micro_limit: int = MICRO_JOBS
) -> dict[str, list[Recommendation]]:
    """Open projects this person may discover, best fit first, and the micro-jobs they can do now."""
    matrix = project_matrix()
    members, invited = memberships_and_invitations(user=user)
    worker = worker_vector(user=user, private=members | invited)
    if not len(matrix):
        return {"projects": [], "micro_jobs": []}
    scored = ranking.score_projects(worker, matrix)
    best = ranking.top(scored.fit, limit)
    eligible_now = scored.certified & scored.language_ok & scored.device_ok & matrix.micro
    micro = ranking.top(scored.fit, micro_limit, mask=eligible_now)
    projects = _authoritative(matrix, np.concatenate([best, micro]))
    return {
        "projects": _shape(user, worker, matrix, scored, best, members, projects),
        "micro_jobs": _shape(user, worker, matrix, scored, micro, members, projects),
    }


def _authoritative(matrix: ranking.ProjectMatrix, indices: np.ndarray) -> dict[int, Project]:
    """The current rows of the few shown: a project made private or paused since the last refresh drops
    out (``_discoverable``), whatever the matrix says."""
    ids = sorted({int(matrix.ids[i]) for i in indices})
    return Project.objects.select_related("organization").in_bulk(ids)


def recommendation_for(*, user: User, project_id: int) -> Recommendation:
    """One project as this person would see it recommended (404 unless they may discover it)."""
    project = Project.objects.select_related("organization").filter(pk=project_id).first()
    if project is None or not may_discover(user=user, project=project):
        raise ProjectNotFound()
    matrix = project_matrix()
    worker = worker_vector(user=user)
    where = np.flatnonzero(matrix.ids == project.pk)
    if not len(where):
        # Opened a moment ago and not refreshed yet: score it from a fresh feature row.
        from dure.matching.features import project_values

        row = {"project_id": project.pk, **project_values(project)}
        matrix = ranking.ProjectMatrix.build([row])
        where = np.array([0])
    scored = ranking.score_projects(worker, matrix)
    members = set(ProjectMember.objects.filter(user=user).values_list("project_id", flat=True))
    shaped = _shape(user, worker, matrix, scored, where, members, {project.pk: project})
    if not shaped:
        raise ProjectNotFound()
    return shaped[0]


# --- talent search ---------------------------------------------------------------------------------------


def may_search_talent(*, user: User) -> bool:
    return (
        Membership.objects.filter(user=user, role__in=MANAGING_ROLES).exists()
        or ProjectMember.objects.filter(user=user, role=ProjectRole.MANAGER).exists()
    )


def require_talent_search(*, user: User) -> None:
    if not may_search_talent(user=user):
        raise TalentSearchDenied()


@dataclass
class TalentQuery:
    data_type: str | None = None
    certification: str | None = None
    min_level: int | None = None
    min_approved: int = 0
    min_quality: float | None = None
    limit: int = 50


def talent_search(*, user: User, query: TalentQuery, project: Project | None = None) -> list[dict[str, Any]]:
    """Opted-in people matching the filters; ranked by fit to ``project`` when given, else by quality."""
    require_talent_search(user=user)
    data_type = query.data_type
    if project is not None and not data_type:
        data_type = datatypes.data_type_of(project.spec)
    if data_type and data_type not in datatypes.DATA_TYPES:
        raise UnknownDataType(data_type=data_type)
    features = WorkerFeatures.objects.filter(opted_in=True)
    narrowed = query.min_level is not None or bool(query.certification)
    if query.min_level is not None:
        features = features.filter(level_rank__gte=query.min_level)
    if query.certification:
        holders = UserCertification.objects.filter(
            Q(certification__slug=query.certification)
            | Q(certification_id=int(query.certification) if query.certification.isdigit() else -1)
        ).values("user_id")
        features = features.filter(user_id__in=holders)
    limit = max(1, min(query.limit, 200))
    # Ranking for a project scores many candidates; a plain search needs only one page (and a little slack
    # for deactivated accounts, dropped below).
    candidates_wanted = TALENT_CANDIDATES if project is not None else limit + 20
    if data_type:
        skills = WorkerSkill.objects.filter(
            opted_in=True, data_type=data_type, approved__gte=query.min_approved
        )
        if query.min_quality is not None:
            skills = skills.filter(quality__gte=query.min_quality)
        if narrowed:
            skills = skills.filter(user_id__in=features.values("user_id"))
        skills = skills.order_by("-quality", "-approved")
        skill_rows: list[dict[str, Any]] = [
            dict(r)
            for r in skills.values("user_id", "approved", "quality", "median_seconds", "percentile")[
                :candidates_wanted
            ]
        ]
        ids = [r["user_id"] for r in skill_rows]
    else:
        skill_rows = []
        if query.min_approved:
            features = features.filter(approved__gte=query.min_approved)
        if query.min_quality is not None:
            features = features.filter(quality__gte=query.min_quality)
        ids = list(
            features.order_by("-quality", "-approved").values_list("user_id", flat=True)[:candidates_wanted]
        )
    searchable = WorkerFeatures.objects.filter(opted_in=True, user__is_active=True)
    fits: dict[int, float] = {}
    if project is not None and ids:
        # Score every candidate on the few columns fit needs; read the full rows of the chosen page only.
        from dure.matching.features import project_values

        wanted = project_values(project)
        by_user: dict[int, dict[str, Any]] = {r["user_id"]: r for r in skill_rows}
        scoring = [
            {
                **by_user.get(f["user_id"], {"approved": 0, "quality": None, "median_seconds": None}),
                **f,
            }
            for f in WorkerFeatures.objects.filter(user_id__in=ids, opted_in=True).values(
                "user_id", "certifications", "languages", "devices"
            )
        ]
        candidates = ranking.Candidates.build(
            scoring, width=max(1, max([*wanted["certifications"], 0]) // 64 + 1)
        )
        scores, _eligible = ranking.score_workers(candidates, wanted)
        chosen = ranking.top(scores, limit)
        ids = [int(candidates.user_ids[i]) for i in chosen]
        fits = {int(candidates.user_ids[i]): float(scores[i]) for i in chosen}
    rows = {
        f["user_id"]: f
        for f in searchable.filter(user_id__in=ids[: limit + 20]).values(
            "user_id",
            "level_rank",
            "level_name",
            "approved",
            "quality",
            "certifications",
            "languages",
            "devices",
            "skills",
            "user__username",
            "user__display_name",
        )
    }
    order = [i for i in ids if i in rows][:limit]
    names = dict(Certification.objects.values_list("pk", "name"))
    headlines = dict(TalentProfile.objects.filter(user_id__in=order).values_list("user_id", "headline"))
    out = []
    for uid in order:
        row = rows[uid]
        shown = sorted(
            (
                {
                    "data_type": name,
                    "label": datatypes.label(name),
                    "approved": values[0],
                    "quality": values[1],
                    "median_seconds": values[2],
                    "percentile": values[3],
                    "top_share": ranking.top_share(values[3]) if values[3] is not None else None,
                }
                for name, values in row["skills"].items()
            ),
            key=lambda s: -(s["approved"] or 0),
        )
        out.append(
            {
                "user_id": uid,
                "username": row["user__username"],
                "display_name": row["user__display_name"] or row["user__username"],
                "headline": headlines.get(uid, ""),
                "level": {"rank": row["level_rank"], "name": row["level_name"]}
                if row["level_rank"] is not None
                else None,
                "approved": row["approved"],
                "quality": row["quality"],
                "certifications": [names[c] for c in row["certifications"] if c in names],
                "languages": row["languages"],
                "devices": row["devices"],
                "skills": shown,
                "fit": round(fits[uid], 4) if uid in fits else None,
            }
        )
    return out


def manageable_projects(*, user: User) -> QuerySet[Project]:
    """Projects the person may invite to: of organizations they run, or where they are a project manager."""
    return (
        Project.objects.filter(
            Q(organization__memberships__user=user, organization__memberships__role__in=MANAGING_ROLES)
            | Q(members__user=user, members__role=ProjectRole.MANAGER)
        )
        .exclude(status=ProjectStatus.CLOSED)
        .distinct()
        .order_by("-id")
    )


# --- invitations -----------------------------------------------------------------------------------------


def invitations_of(*, user: User, pending_only: bool = False) -> QuerySet[ProjectInvitation]:
    found = ProjectInvitation.objects.filter(user=user).select_related("project", "invited_by")
    if pending_only:
        found = found.filter(state=InvitationState.PENDING)
    return found.order_by("-id")


def project_invitations(*, project: Project) -> QuerySet[ProjectInvitation]:
    return ProjectInvitation.objects.filter(project=project).select_related("user").order_by("-id")


def talent_profile(*, user: User) -> TalentProfile:
    return TalentProfile.objects.filter(user=user).first() or TalentProfile(user=user)
