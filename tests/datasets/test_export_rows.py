"""The rows every export format is written from: full provenance in id order, the same whatever the chunk
size, and the certificate's format checks fed from the same read as its own walk would find them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dure.accounts.models import Organization
from dure.datasets.exporters import dumps_bytes
from dure.datasets.selectors import export_items, export_rows
from dure.projects.models import Project
from dure.quality import services as quality
from dure.quality.certificate import FormatChecks, format_checks
from dure.quality.models import AggregatedAnswer
from dure.work.models import Decision, Item, Submission, SubmissionState
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.quality.crowd import make_crowd

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(org: Organization, people: dict[str, Any], make_project: Callable[..., Project]) -> Project:
    """Overlap 2, three workers, every third decision a rejection (so reworked versions), with a second
    project worked in between (so the answers' and reviews' ids are not contiguous), aggregated."""
    project = make_project(overlap=2)
    other = make_project(name="Other")
    add_items(project=project, records=[
        {"external_id": f"i{n}", "data": {"text": f"t{n} 한국어", "big": 2**70 + n, "ratio": n / 3}}
        for n in range(13)])  # fmt: skip
    add_items(project=other, records=[{"data": {"text": f"o{n}"}} for n in range(5)])
    crowd = make_crowd(org, project, 3)
    for worker in crowd:
        from dure.projects.models import ProjectRole
        from dure.projects.services import set_project_member

        set_project_member(project=other, user=worker, role=ProjectRole.WORKER)
    answered = decided = 0
    for _round in range(3):
        for worker in crowd:
            for target in (project, other):
                for _ in range(3):
                    assignment = lease_next_item(worker=worker, project=target)
                    if assignment is None:
                        break
                    answered += 1
                    label = ["pos", "neg"][answered % 2]
                    submit(worker=worker, assignment_id=assignment.pk, answer={"label": label})
        for target in (project, other):
            while (review := lease_next_review(reviewer=people["reviewer"], project=target)) is not None:
                decided += 1
                if target == project and decided % 3 == 0:
                    decide(reviewer=people["reviewer"], review_id=review.pk, decision="reject",
                           reasons=["unclear"], comment="again")  # fmt: skip
                else:
                    decide(reviewer=people["reviewer"], review_id=review.pk, decision=Decision.APPROVE)
    for item in Item.objects.filter(project=project):
        quality.aggregate_item(item_id=item.pk)
    return project


@pytest.mark.parametrize("filters", [{}, {"state": "all"}, {"state": "done"}, {"created_from": "2000-01-01"}])
def test_rows_do_not_depend_on_the_chunk_size(worked: Project, filters: dict[str, Any]) -> None:
    whole = [dumps_bytes(row) for row in export_rows(project=worked, filters=filters)]
    assert whole
    for chunk in (1, 2, 5):
        assert [
            dumps_bytes(row) for row in export_rows(project=worked, filters=filters, chunk=chunk)
        ] == whole


def test_rows_carry_every_version_in_order(worked: Project) -> None:
    rows = list(export_rows(project=worked, filters={"state": "all"}, chunk=4))
    assert [row["id"] for row in rows] == sorted(
        Item.objects.filter(project=worked).values_list("id", flat=True)
    )
    assert rows[0]["data"] == {"text": "t0 한국어", "big": 2**70, "ratio": 0.0}  # exact beyond 64 bits
    assert rows[0]["created_at"].utcoffset().total_seconds() == 0
    reworked = 0
    for row in rows:
        assert [slot["index"] for slot in row["slots"]] == sorted(slot["index"] for slot in row["slots"])
        for slot in row["slots"]:
            versions = slot["versions"]
            assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
            reworked += len(versions) > 1
            for version in versions:
                assert version["worker"].startswith("w_")
                decided = [r["decided_at"] for r in version["reviews"]]
                assert decided == sorted(decided)
            if len(versions) > 1:
                assert versions[0]["state"] == "rejected" and versions[0]["reviews"][0]["reasons"] == [
                    "unclear"
                ]
        approved = [
            (slot["index"], v["version"]) for slot in row["slots"] for v in slot["versions"] if v["state"] == "approved"
        ]  # fmt: skip
        assert [(a["slot"], a["version"]) for a in row["approved"]] == approved
        aggregate = AggregatedAnswer.objects.filter(item_id=row["id"]).first()
        if aggregate is not None:
            assert row["answer"] == aggregate.final_answer
        else:
            assert row["answer"] == (row["approved"][0]["answer"] if row["approved"] else None)
    assert reworked


def test_export_checks_match_the_certificates_own_walk(worked: Project) -> None:
    approved = Submission.objects.filter(project=worked, state=SubmissionState.APPROVED).order_by("-id")
    Submission.objects.filter(pk__in=list(approved.values_list("id", flat=True)[::3])).update(
        answer={"label": "bogus", "extra": 1}
    )
    for filters in ({}, {"state": "all"}, {"state": "done"}):
        checks = FormatChecks(worked)
        for _row in export_rows(project=worked, filters=filters, chunk=3, checks=checks):
            pass
        result = checks.result()
        assert result["invalid"] >= 2 and result["problems"]
        assert result == format_checks(project=worked, items=export_items(project=worked, filters=filters))
