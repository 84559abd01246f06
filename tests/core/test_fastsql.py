"""dure.core.fastsql.fetch builds the same instances a queryset would, from hand-written SQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dure.core.fastsql import fetch, fetch_one, update_statement, write_together
from dure.projects.models import Project
from dure.work import services
from dure.work.models import Assignment, Item, Review, Slot

pytestmark = pytest.mark.django_db


def _fields(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.fixture
def reviewed(project: Project, people: dict[str, Any]) -> Review:
    services.add_items(project=project, records=[{"text": "좋아요"}, {"text": "별로"}])
    assignment = services.lease_next_item(worker=people["worker"], project=project)
    assert assignment is not None
    services.submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = services.lease_next_review(reviewer=people["reviewer"], project=project)
    assert review is not None
    return review


def test_fetch_equals_the_orm_with_converted_values(reviewed: Review) -> None:
    """Datetimes (aware), JSON, booleans and nullable fields come back as the ORM returns them."""
    found = fetch(Review, "m.id = %s", [reviewed.pk])
    assert len(found) == 1
    assert _fields(found[0]) == _fields(Review.objects.get(pk=reviewed.pk))
    assert found[0].started_at.tzinfo is not None
    assert found[0]._state.adding is False and found[0]._state.db == "default"


def test_related_rows_are_cached_like_select_related(reviewed: Review) -> None:
    with CaptureQueriesContext(connection) as queries:
        slot = fetch_one(Slot, "m.id = %s", [reviewed.slot_id], related=("submission", "submission__item"))
        assert slot is not None
        item = slot.submission.item
    assert len(queries) == 1
    assert _fields(item) == _fields(Item.objects.get(pk=slot.item_id))
    assert item.data == {"text": "좋아요"}
    assert _fields(slot.submission) == _fields(slot.submission.__class__.objects.get(pk=slot.submission_id))


def test_an_absent_nullable_relation_is_none(project: Project) -> None:
    services.add_items(project=project, records=[{"text": "하나"}])
    slot = fetch_one(Slot, "m.project_id = %s", [project.pk], related=("submission", "submission__item"))
    assert slot is not None and slot.submission_id is None
    with CaptureQueriesContext(connection) as queries:
        assert slot.submission is None
    assert len(queries) == 0


def test_order_limit_and_nothing_found(project: Project) -> None:
    services.add_items(project=project, records=[{"text": str(n)} for n in range(5)])
    ids = fetch(Slot, "m.project_id = %s", [project.pk], order_by="m.id DESC", limit=3)
    assert [s.pk for s in ids] == list(
        Slot.objects.filter(project=project).order_by("-id").values_list("id", flat=True)[:3]
    )
    assert fetch_one(Assignment, "m.project_id = %s", [project.pk]) is None


def test_locks_on_postgresql_only(project: Project) -> None:
    services.add_items(project=project, records=[{"text": "하나"}])
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert fetch_one(Slot, "m.project_id = %s", [project.pk], lock="skip") is not None
        assert fetch_one(Slot, "m.project_id = %s", [project.pk], lock="update") is not None
    skip, update = queries[-2]["sql"], queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert skip.endswith('FOR UPDATE OF "m" SKIP LOCKED') and update.endswith('FOR UPDATE OF "m"')
    else:  # SQLite: transactions are IMMEDIATE, there are no row locks
        assert "FOR UPDATE" not in skip and "FOR UPDATE" not in update


def test_deferred_fields_load_on_first_use(reviewed: Review) -> None:
    with CaptureQueriesContext(connection) as queries:
        review = fetch_one(
            Review, "m.id = %s", [reviewed.pk], related=("project",), defer={"project": ("spec", "guideline")}
        )
        assert review is not None
        project = review.project
        assert project.name == "Sentiment"
    assert len(queries) == 1
    assert project.get_deferred_fields() == {"spec", "guideline"}
    assert project.spec == Project.objects.get(pk=project.pk).spec  # one query more, by the ORM


def test_write_together_runs_independent_writes_and_counts_rows(project: Project) -> None:
    services.add_items(project=project, records=[{"text": "하나"}, {"text": "둘"}, {"text": "셋"}])
    first, second, third = Slot.objects.filter(project=project).order_by("id")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        counts = write_together(
            update_statement(Slot, {"rework_round": 1}, id=first.pk),
            update_statement(Slot, {"rework_round": 2}, id=second.pk, state="rejected"),  # not rejected: 0
            update_statement(Item, {"state": "done"}, id=third.item_id),
        )
    assert counts == [1, 0, 1]
    assert list(
        Slot.objects.filter(project=project).order_by("id").values_list("rework_round", flat=True)
    ) == [
        1,
        0,
        0,
    ]
    assert Item.objects.get(pk=third.item_id).state == "done"
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
