"""Quality over HTTP: gold items, settings, scores, pauses and appeals, audits, reviewer capacity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from dure.core.http import user_of
from dure.projects.selectors import Access, project_access
from dure.quality import agreement, selectors, services
from dure.quality.models import AdjudicationState, AggregatedAnswer, Appeal, Audit, GoldItem, Pause
from dure.quality.schemas import (
    AdjudicationIn,
    AppealDecisionIn,
    AppealIn,
    AuditDecisionIn,
    GoldIn,
    QualitySettingsIn,
)

router = Router(tags=["quality"])

SENIOR_CERTIFICATION = services.SENIOR_CERTIFICATION


def _managed(request: HttpRequest, project_id: int) -> Access:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return access


def gold_out(gold: GoldItem) -> dict[str, Any]:
    return {
        "item_id": gold.item_id,
        "answer": gold.answer,
        "explanation": gold.explanation,
        "created_at": gold.created_at.isoformat(),
    }


def pause_out(pause: Pause) -> dict[str, Any]:
    appeal = getattr(pause, "appeal", None)
    return {
        "id": pause.pk,
        "project": pause.project_id,
        "state": pause.state,
        "reason": pause.reason,
        "gold_accuracy": pause.gold_accuracy,
        "threshold": pause.threshold,
        "results_counted": pause.results_counted,
        "created_at": pause.created_at.isoformat(),
        "lifted_at": pause.lifted_at.isoformat() if pause.lifted_at else None,
        "appeal": appeal_out(appeal) if appeal is not None else None,
    }


def appeal_out(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.pk,
        "pause": appeal.pause_id,
        "message": appeal.message,
        "state": appeal.state,
        "note": appeal.note,
        "created_at": appeal.created_at.isoformat(),
        "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
    }


def audit_out(audit: Audit) -> dict[str, Any]:
    review = audit.review
    return {
        "id": audit.pk,
        "state": audit.state,
        "agrees": audit.agrees,
        "review": {
            "id": review.pk,
            "decision": review.decision,
            "reasons": review.reasons,
            "comment": review.comment,
        },
        "submission": {
            "id": review.submission_id,
            "answer": review.submission.answer,
            "item": review.submission.item_id,
        },
    }


# --- gold ------------------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/gold")
def list_gold(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    access = _managed(request, project_id)
    return [gold_out(g) for g in GoldItem.objects.filter(project=access.project).order_by("id")[:1000]]


@router.post("/projects/{project_id}/gold", response={201: dict})
def mark_gold(request: HttpRequest, project_id: int, body: GoldIn) -> Status:
    access = _managed(request, project_id)
    gold = services.mark_gold(
        project=access.project,
        item_id=body.item_id,
        answer=body.answer,
        actor=user_of(request),
        explanation=body.explanation,
    )
    return Status(201, gold_out(gold))


@router.delete("/projects/{project_id}/gold/{item_id}", response={204: None})
def unmark_gold(request: HttpRequest, project_id: int, item_id: int) -> Status:
    access = _managed(request, project_id)
    services.unmark_gold(project=access.project, item_id=item_id)
    return Status(204, None)


# --- settings and scores ---------------------------------------------------------------------------------


def _settings_out(project_id: int) -> dict[str, Any]:
    quality = selectors.settings_of(project_id)
    return {name: getattr(quality, name) for name in QualitySettingsIn.model_fields}


@router.get("/projects/{project_id}/quality-settings")
def get_settings(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = _managed(request, project_id)
    return _settings_out(access.project.pk)


@router.patch("/projects/{project_id}/quality-settings")
def patch_settings(request: HttpRequest, project_id: int, body: QualitySettingsIn) -> dict[str, Any]:
    access = _managed(request, project_id)
    services.update_settings(project=access.project, changes=body.model_dump(exclude_none=True))
    return _settings_out(access.project.pk)


@router.get("/projects/{project_id}/scores")
def project_scores(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    access = _managed(request, project_id)
    return selectors.project_worker_scores(project=access.project)


@router.get("/projects/{project_id}/agreement")
def project_agreement(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """Agreement of approved overlapping answers, per output and per worker pair (managers and owners)."""
    access = _managed(request, project_id)
    return agreement.project_agreement(project=access.project)


@router.get("/me/scores")
def my_scores(request: HttpRequest, project: int | None = None) -> dict[str, Any]:
    user = user_of(request)
    if project is not None:
        project_access(user=user, project_id=project)
    return selectors.worker_scores(user=user, project=project)


# --- pauses and appeals ----------------------------------------------------------------------------------


@router.get("/me/pauses")
def my_pauses(request: HttpRequest) -> list[dict[str, Any]]:
    pauses = Pause.objects.filter(worker=user_of(request)).select_related("appeal").order_by("-created_at")
    return [pause_out(p) for p in pauses[:100]]


@router.post("/pauses/{pause_id}/appeal", response={201: dict})
def appeal(request: HttpRequest, pause_id: int, body: AppealIn) -> Status:
    return Status(
        201, appeal_out(services.appeal(worker=user_of(request), pause_id=pause_id, message=body.message))
    )


@router.get("/projects/{project_id}/appeals")
def list_appeals(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    access = _managed(request, project_id)
    appeals = Appeal.objects.filter(pause__project=access.project).select_related("pause").order_by("-id")
    return [
        {**appeal_out(a), "worker": a.pause.worker_id, "pause_detail": pause_out(a.pause)}
        for a in appeals[:200]
    ]


@router.post("/projects/{project_id}/appeals/{appeal_id}/decision")
def decide_appeal(
    request: HttpRequest, project_id: int, appeal_id: int, body: AppealDecisionIn
) -> dict[str, Any]:
    access = _managed(request, project_id)
    decided = services.decide_appeal(
        appeal_id=appeal_id,
        actor=user_of(request),
        accept=body.accept,
        note=body.note,
        project=access.project,
    )
    return appeal_out(decided)


# --- audits and reviewers --------------------------------------------------------------------------------


def _senior(request: HttpRequest, project_id: int) -> Access:
    """Managers, and reviewers holding the review-master certification, audit other reviewers' decisions
    and adjudicate items whose aggregated answer is not confident enough."""
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(
        services.may_adjudicate(
            user=user, project=access.project, can_manage=access.can_manage, can_review=access.can_review
        )
    )
    return access


@router.post("/projects/{project_id}/audits/next", response={200: dict, 204: None})
def next_audit(request: HttpRequest, project_id: int) -> Status:
    access = _senior(request, project_id)
    audit = services.next_audit(auditor=user_of(request), project=access.project)
    return Status(204, None) if audit is None else Status(200, audit_out(audit))


@router.post("/projects/{project_id}/audits/{audit_id}/decision")
def decide_audit(
    request: HttpRequest, project_id: int, audit_id: int, body: AuditDecisionIn
) -> dict[str, Any]:
    access = _senior(request, project_id)
    audit = services.decide_audit(
        auditor=user_of(request),
        audit_id=audit_id,
        agrees=body.agrees,
        note=body.note,
        project=access.project,
    )
    return {"id": audit.pk, "state": audit.state, "agrees": audit.agrees}


@router.post("/projects/{project_id}/reviewers/maintain")
def maintain_reviewers(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = _managed(request, project_id)
    services.sample_audits(project=access.project)
    return services.maintain_reviewers(project=access.project).as_dict()


# --- aggregation and adjudication ------------------------------------------------------------------------


@router.post("/projects/{project_id}/aggregate")
def aggregate_project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """Recomputes the project's aggregated answers now (Dawid-Skene), instead of waiting for the job."""
    access = _managed(request, project_id)
    return services.aggregate_project(project=access.project)


@router.get("/projects/{project_id}/adjudications")
def adjudication_queue(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = _senior(request, project_id)
    pending = (
        AggregatedAnswer.objects.filter(project=access.project, state=AdjudicationState.PENDING)
        .order_by("id")
        .values("item_id", "confidence", "method", "lease_expires_at")[:200]
    )
    return {
        **selectors.adjudication_summary(project=access.project),
        "queue": [
            {
                **row,
                "lease_expires_at": row["lease_expires_at"].isoformat() if row["lease_expires_at"] else None,
            }
            for row in pending
        ],
    }


@router.post("/projects/{project_id}/adjudications/next", response={200: dict, 204: None})
def next_adjudication(request: HttpRequest, project_id: int) -> Status:
    access = _senior(request, project_id)
    found = services.lease_next_adjudication(adjudicator=user_of(request), project=access.project)
    return Status(204, None) if found is None else Status(200, selectors.adjudication_view(found))


@router.post("/projects/{project_id}/adjudications/{item_id}/decision")
def adjudicate(request: HttpRequest, project_id: int, item_id: int, body: AdjudicationIn) -> dict[str, Any]:
    access = _senior(request, project_id)
    found = services.adjudicate(
        adjudicator=user_of(request),
        project=access.project,
        item_id=item_id,
        answer=body.answer,
        note=body.note,
    )
    return selectors.adjudication_view(found)


@router.post("/projects/{project_id}/adjudications/{item_id}/release", response={204: None})
def release_adjudication(request: HttpRequest, project_id: int, item_id: int) -> Status:
    access = _senior(request, project_id)
    services.release_adjudication(adjudicator=user_of(request), project=access.project, item_id=item_id)
    return Status(204, None)
