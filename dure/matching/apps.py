from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.utils.translation import gettext_lazy as _


def _remember_status(sender: Any, instance: Any, **kwargs: Any) -> None:
    # What the row said when it was loaded, so a save can tell "just opened" from "edited while open"
    # without a query.
    instance._matching_loaded_status = instance.__dict__.get("status")


def _project_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from dure.matching import jobs

    project_id = instance.pk
    opened = instance.status == "open" and getattr(instance, "_matching_loaded_status", None) != "open"
    instance._matching_loaded_status = instance.status
    if opened:
        transaction.on_commit(lambda: jobs.project_opened.enqueue(project_id))
    else:
        transaction.on_commit(lambda: jobs.refresh_project_features.enqueue(project_id))


def _requirement_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from dure.matching import jobs

    project_id = getattr(instance, "project_id", None)
    if project_id is not None:
        transaction.on_commit(lambda: jobs.refresh_project_features.enqueue(project_id))


def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from dure.matching.services import note_device

    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    if agent:
        note_device(user=user, user_agent=agent)


def _forget_matrix(**kwargs: object) -> None:
    from dure.matching.selectors import forget_matrix

    forget_matrix()


class MatchingConfig(AppConfig):
    name = "dure.matching"
    label = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dure.academy.models import ProjectRequirement
        from dure.matching.models import ProjectFeatures
        from dure.projects.models import Project

        post_init.connect(_remember_status, sender=Project, dispatch_uid="matching-project-init")
        post_save.connect(_project_saved, sender=Project, dispatch_uid="matching-project-saved")
        post_save.connect(
            _requirement_changed, sender=ProjectRequirement, dispatch_uid="matching-requirement"
        )
        m2m_changed.connect(
            _requirement_changed,
            sender=ProjectRequirement.certifications.through,
            dispatch_uid="matching-requirement-certifications",
        )
        post_save.connect(_forget_matrix, sender=ProjectFeatures, dispatch_uid="matching-features-saved")
        post_delete.connect(_forget_matrix, sender=ProjectFeatures, dispatch_uid="matching-features-deleted")
        user_logged_in.connect(_signed_in, dispatch_uid="matching-signed-in")
