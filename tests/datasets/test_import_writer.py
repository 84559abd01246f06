"""The import's bulk writer: plain multi-row INSERTs on SQLite, COPY on PostgreSQL, the database skipping
what is already there. Same rows as ``add_items``, whatever the batch boundaries."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from django.db import transaction

from dure.datasets import services
from dure.projects.models import Project
from dure.work.item_writer import item_json
from dure.work.models import Item, Slot
from dure.work.services import add_items, content_hash
from tests.datasets.conftest import jsonl


def test_duplicates_across_batches_keep_the_first_and_the_file_order(
    make_project: Callable[..., Project], run_import: Callable[..., dict[str, Any]], settings: Any
) -> None:
    settings.DURE = {**settings.DURE, "IMPORT_BATCH": 3}
    project = make_project(overlap=2)
    add_items(project=project, records=[{"data": {"text": "old"}, "external_id": "known"}, {"text": "seen"}])
    records: list[Any] = [
        {"data": {"text": "first"}, "external_id": "a"},
        {"text": "plain"},
        {"data": {"text": "ignored"}, "external_id": "known"},  # already in the project
        {"text": "seen"},  # same content as an item without an external id
        {"data": {"text": "second"}, "external_id": "a"},  # same id later in the file: the first wins
        {"text": "plain"},
        {"data": {"text": "plain"}, "external_id": "b"},  # same content, but its own id: a new item
        {"text": "last"},
    ]
    job = run_import(project, "jsonl", jsonl(records))
    assert job["result"] == {"created": 4, "skipped": 4, "records": 8}
    items = list(Item.objects.filter(project=project).order_by("id").values_list("external_id", "data"))
    assert items[2:] == [("a", {"text": "first"}), (None, {"text": "plain"}), ("b", {"text": "plain"}),
                         (None, {"text": "last"})]  # fmt: skip
    new = Item.objects.filter(project=project).order_by("id")[2:]
    slots = list(Slot.objects.filter(item__in=new).order_by("id").values_list("item_id", "index", "state"))
    assert slots == [(item.pk, n, "open") for item in new for n in (0, 1)]
    assert Item.objects.get(project=project, external_id="b").content_hash == content_hash({"text": "plain"})


def test_integers_beyond_64_bits_are_stored_exactly(
    project: Project, run_import: Callable[..., dict[str, Any]]
) -> None:
    huge = 2**70 + 1
    job = run_import(project, "jsonl", jsonl([{"text": "big", "extra": huge}]))
    assert job["result"]["created"] == 1
    assert Item.objects.get(project=project).data == {"text": "big", "extra": huge}


def test_two_imports_in_one_transaction(project: Project, settings: Any) -> None:
    """The staging table of the PostgreSQL path is dropped after use, so a second write can stage again."""
    settings.DURE = {**settings.DURE, "IMPORT_BATCH": 2}  # more than one batch: PostgreSQL copies
    with transaction.atomic():
        for round_ in range(2):
            with tempfile.TemporaryFile() as spool:
                for n in range(5):
                    data = {"text": f"r{n}"}
                    services._spool_write(spool, (None, content_hash(data), item_json(data)))
                result = services.write_spooled_items(project=project, spool=spool)
            assert result == ({"created": 5, "skipped": 0} if round_ == 0 else {"created": 0, "skipped": 5})
    assert Item.objects.filter(project=project).count() == 5
    assert Slot.objects.filter(project=project).count() == 5
