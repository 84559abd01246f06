"""Reads for assistance: the project's jobs and pre-labels, review flags, and what suggestions achieved."""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import QuerySet

from dure.accounts.models import User
from dure.assist.errors import AssistJobNotFound
from dure.assist.models import AssistJob, PreLabel, SubmissionAssist
from dure.assist.services import has_prelabels, project_settings
from dure.core.fastsql import fetch_one
from dure.projects.errors import ProjectNotFound
from dure.projects.models import Project
from dure.projects.selectors import Access, project_access
from dure.work.models import Item


def job_for_user(*, user: User, job_id: int) -> tuple[AssistJob, Access]:
    """The job when the caller manages its project; 404 for another organization's job."""
    job = AssistJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None:
        raise AssistJobNotFound()
    try:
        access = project_access(user=user, project_id=job.project_id)
    except ProjectNotFound:
        raise AssistJobNotFound() from None
    access.require(access.can_manage)
    return job, access


def project_jobs(*, project: Project, limit: int = 20) -> QuerySet[AssistJob]:
    return AssistJob.objects.filter(project=project).order_by("-created_at", "-id")[:limit]


def prelabels(*, project: Project, after: int = 0, limit: int = 100) -> list[PreLabel]:
    return list(PreLabel.objects.filter(project=project, id__gt=after).order_by("id")[:limit])


def review_flags(*, submission_id: int, project_id: int, item: Item | None = None) -> dict[str, Any] | None:
    """The flags and suggestion facts of a submission for its reviewer. With ``item``, a project without
    assistance and an item without imported pre-labels answer None without a query: ``assess_submission``
    writes no row for them."""
    if item is not None and project_settings(project_id) is None and not has_prelabels(item):
        return None
    # On every review lease: a hand-written query, no query compiler (see dure.core.fastsql).
    found = fetch_one(
        SubmissionAssist, "m.submission_id = %s AND m.project_id = %s", [submission_id, project_id]
    )
    if found is None:
        return None
    return {
        "score": round(found.flag_score, 3),
        "flags": found.flags,
        "suggestion_shown": found.suggestion_shown,
        "similarity": found.similarity,
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def effect(*, project: Project, limit: int = 20_000) -> dict[str, Any]:
    """How suggestions change the work: median active seconds with and without, and how often workers
    changed a suggestion (first versions only: a rework is never suggested)."""
    rows = list(
        SubmissionAssist.objects.filter(project=project, submission__version=1)
        .order_by("-submission_id")
        .values_list("suggestion_shown", "active_seconds", "similarity", "changed_regions", "edit_distance")[
            :limit
        ]
    )
    with_suggestion = [r for r in rows if r[0]]
    without = [r for r in rows if not r[0]]
    median_with = _median([r[1] for r in with_suggestion])
    median_without = _median([r[1] for r in without])
    changed = [r for r in with_suggestion if r[2] is not None and r[2] < 0.9999]
    speedup = (
        round(median_without / median_with, 2) if median_with and median_without and median_with > 0 else None
    )
    return {
        "submissions": len(rows),
        "with_suggestion": len(with_suggestion),
        "without_suggestion": len(without),
        "median_seconds_with": median_with,
        "median_seconds_without": median_without,
        "speedup": speedup,
        "changed": len(changed),
        "changed_share": round(len(changed) / len(with_suggestion), 3) if with_suggestion else None,
        "median_similarity": (
            round(statistics.median([r[2] for r in with_suggestion if r[2] is not None]), 3)
            if any(r[2] is not None for r in with_suggestion)
            else None
        ),
        "median_changed_regions": _median([float(r[3]) for r in with_suggestion]),
        "median_edit_distance": _median([float(r[4]) for r in with_suggestion]),
    }


def flagged_count(*, project: Project) -> int:
    return SubmissionAssist.objects.filter(project=project, flag_score__gt=0).count()
