"""Background jobs for matching: refreshing the feature tables, invitations and "a project for you"."""

from __future__ import annotations

import logging
import time

from django.tasks import task

from dure.matching import features, notifications

logger = logging.getLogger(__name__)

#: the sweep thread of ``dure worker`` calls ``sweep_if_due`` often; these bound how often the work runs
PROJECT_REFRESH_SECONDS = 600.0
WORKER_REFRESH_SECONDS = 3600.0
_last = {"projects": 0.0, "workers": 0.0}


@task()
def refresh_project_features(project_id: int) -> str:
    features.refresh_project(project_id=project_id)
    return "refreshed"


@task()
def refresh_worker_features(user_ids: list[int] | None = None) -> int:
    return features.refresh_workers(user_ids=user_ids)


@task()
def notify_invitation(invitation_id: int) -> str:
    notifications.invitation(invitation_id)
    return "notified"


@task()
def project_opened(project_id: int) -> int:
    """A project just opened: refresh its row and tell the best-fitting eligible workers."""
    features.refresh_project(project_id=project_id)
    return notifications.project_opened(project_id)


def sweep_if_due(*, now: float | None = None) -> dict[str, int] | None:
    now = time.monotonic() if now is None else now
    done: dict[str, int] = {}
    if now - _last["projects"] >= PROJECT_REFRESH_SECONDS:
        _last["projects"] = now
        done["projects"] = features.refresh_open_projects()
    if now - _last["workers"] >= WORKER_REFRESH_SECONDS:
        _last["workers"] = now
        # A worker's full refresh can take minutes on a large crowd: a job, not the sweep thread.
        refresh_worker_features.enqueue(None)
        done["workers"] = 1
    return done or None
