"""add_items (the JSON items endpoint): whole or nothing, re-imports skipped by external id or by content,
the first 100 problems reported; written by the import job's writer (dure.work.item_writer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dure.projects.models import Project
from dure.work.errors import InvalidItems
from dure.work.models import Item, Slot
from dure.work.services import add_items, content_hash

pytestmark = pytest.mark.django_db


def _items(project: Project) -> list[tuple[str | None, Any]]:
    return list(Item.objects.filter(project=project).order_by("id").values_list("external_id", "data"))


def test_new_items_get_their_slots_in_order(make_project: Callable[..., Project]) -> None:
    project = make_project(overlap=2)
    result = add_items(project=project, records=[{"text": "a"}, {"data": {"text": "b"}, "external_id": 7}])
    assert (result.created, result.skipped) == (2, 0)
    assert _items(project) == [(None, {"text": "a"}), ("7", {"text": "b"})]
    item = Item.objects.get(project=project, external_id="7")
    assert item.content_hash == content_hash({"text": "b"}) and item.state == "open" and item.created_at
    slots = Slot.objects.filter(project=project).order_by("id").values_list("item_id", "index", "state")
    first = Item.objects.get(project=project, external_id=None).pk
    assert list(slots) == [(first, 0, "open"), (first, 1, "open"), (item.pk, 0, "open"), (item.pk, 1, "open")]


def test_re_imports_are_skipped_by_external_id_or_content(project: Project) -> None:
    records: list[Any] = [
        {"text": "plain"},
        {"data": {"text": "first"}, "external_id": "a"},
        {"data": {"text": "second"}, "external_id": "a"},  # same id later in the call: the first wins
        {"text": "plain"},  # same content without an id
    ]
    result = add_items(project=project, records=records)
    assert (result.created, result.skipped) == (2, 2)
    again = add_items(project=project, records=[
        {"data": {"text": "changed"}, "external_id": "a"},  # the id is known: skipped, not updated
        {"text": "plain"},  # the content is known
        {"data": {"text": "plain"}, "external_id": "b"},  # same content, its own id: a new item
        {"text": "new"},
    ])  # fmt: skip
    assert (again.created, again.skipped) == (2, 2)
    assert _items(project) == [(None, {"text": "plain"}), ("a", {"text": "first"}), ("b", {"text": "plain"}),
                               (None, {"text": "new"})]  # fmt: skip
    # An item with an id does not stand for the same content without one (the import job's identity).
    assert add_items(project=project, records=[{"text": "first"}]).created == 1


def test_a_bad_record_writes_nothing_and_the_first_100_problems_are_listed(project: Project) -> None:
    add_items(project=project, records=[{"text": "kept"}])
    records: list[Any] = [{"text": "fine"}, {"data": {"text": "x"}, "external_id": " "}]
    records += [{"text": n} for n in range(150)]
    with pytest.raises(InvalidItems) as raised:
        add_items(project=project, records=records)
    errors = raised.value.details["errors"]
    assert len(errors) == 100
    assert errors[0] == {
        "record": 2,
        "path": "external_id",
        "error": "external_id must be a non-empty string",
    }
    assert [e["record"] for e in errors[1:3]] == [3, 4] and errors[1]["path"] == "data.text"
    assert _items(project) == [(None, {"text": "kept"})]


def test_many_items_and_exact_values(make_project: Callable[..., Project]) -> None:
    """More than one batch (on PostgreSQL a COPY through a staging table), values stored exactly."""
    project = make_project(overlap=2)
    records: list[Any] = [{"data": {"text": f"t{n}", "n": 2**70 + n, "한": [n / 3]}, "external_id": f"e{n}"}
                          for n in range(2500)]  # fmt: skip
    assert add_items(project=project, records=records).created == 2500
    assert Slot.objects.filter(project=project).count() == 5000
    stored = _items(project)
    assert stored[0] == ("e0", {"text": "t0", "n": 2**70, "한": [0.0]})
    assert [external_id for external_id, _data in stored] == [f"e{n}" for n in range(2500)]
    again = add_items(project=project, records=[*records[:10], {"text": "new"}])
    assert (again.created, again.skipped) == (1, 10)
