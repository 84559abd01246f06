"""Simulated worker histories, made through the real work loop (lease → submit → review)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dure.accounts.models import Organization, User
from dure.matching import features, selectors
from dure.projects.models import Project, ProjectRole
from dure.projects.services import create_project, set_project_member
from dure.work.models import Decision, Submission
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.conftest import make_user

OCR_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "text", "type": "transcription"}],
}
BOX_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "boxes", "type": "boxes", "labels": ["car", "person"]}],
}
TEXT_CHOICE_SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
}
VOICE_SPEC = {
    "inputs": [{"name": "prompt", "type": "text"}],
    "outputs": [{"name": "recording", "type": "file_upload", "accept": ["audio/*"]}],
}
IMAGE = {"image": "demo/street.png", "width": 200, "height": 100}
ANSWERS = {
    "ocr": (IMAGE, {"text": "영수증 합계 12,000원"}),
    "image_boxes": (
        IMAGE,
        {"boxes": [{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]},
    ),
    "text_classification": ({"text": "좋아요"}, {"label": "pos"}),
}
SPECS = {"ocr": OCR_SPEC, "image_boxes": BOX_SPEC, "text_classification": TEXT_CHOICE_SPEC}


@pytest.fixture(autouse=True)
def _fresh_matrix() -> None:
    selectors.forget_matrix()


def history_project(org: Organization, owner: User, data_type: str, name: str) -> Project:
    project = create_project(organization=org, actor=owner, name=name, spec=SPECS[data_type])
    project.status = "open"
    project.save()
    return project


def simulate(
    *,
    project: Project,
    worker: User,
    reviewer: User,
    approved: int,
    rejected: int = 0,
    seconds: float = 30.0,
) -> None:
    """``approved`` + ``rejected`` first-version submissions by ``worker`` on ``project``, decided."""
    data, answer = ANSWERS[_type_of(project)]
    set_project_member(project=project, user=worker, role=ProjectRole.WORKER)
    start = project.items.count()
    add_items(
        project=project,
        records=[
            {"data": data, "external_id": f"{worker.pk}-{start + n}"} for n in range(approved + rejected)
        ],
    )
    for n in range(approved + rejected):
        assignment = lease_next_item(worker=worker, project=project)
        assert assignment is not None
        submit(worker=worker, assignment_id=assignment.pk, answer=answer)
        review = lease_next_review(reviewer=reviewer, project=project)
        assert review is not None
        if n < approved:
            decide(reviewer=reviewer, review_id=review.pk, decision=Decision.APPROVE)
        else:
            decide(reviewer=reviewer, review_id=review.pk, decision=Decision.REJECT, reasons=["wrong"])
    Submission.objects.filter(project=project, worker=worker).update(active_seconds=seconds)


def _type_of(project: Project) -> str:
    from dure.matching.datatypes import data_type_of

    return data_type_of(project.spec)


def refresh_all() -> None:
    features.refresh_workers()
    features.refresh_open_projects()
    selectors.forget_matrix()


@pytest.fixture
def crowd(org: Organization, people: dict[str, User]) -> Callable[[str], User]:
    made: dict[str, User] = {}

    def worker(name: str) -> User:
        if name not in made:
            made[name] = make_user(name)
        return made[name]

    return worker


def reasons_of(entry: dict[str, Any]) -> set[str]:
    return {r["code"] for r in entry["reasons"]}
