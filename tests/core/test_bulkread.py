"""Reading many rows: JSON decoded like the ORM decodes it, and walks in primary-key order a chunk at a
time — a server-side cursor on PostgreSQL, keyset pages on SQLite — while the same connection writes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.db import connection, transaction

from dure.core import bulkread
from dure.projects.models import Project
from dure.work.models import Item
from dure.work.services import add_items


def test_json_value_reads_like_the_orm() -> None:
    assert bulkread.json_value('{"a": [1, 2.5, null, true], "t": "한국어"}') == {
        "a": [1, 2.5, None, True],
        "t": "한국어",
    }
    big = bulkread.json_value('{"n": 1180591620717411303424, "m": -9223372036854775809}')
    assert big == {"n": 2**70, "m": -(2**63) - 1} and isinstance(big["n"], int)
    assert math.isnan(bulkread.json_value("NaN"))  # SQLite keeps what Python's json wrote
    assert bulkread.json_value('"\\ud800"') == "\ud800"  # a lone surrogate: orjson refuses, json reads it
    assert bulkread.json_value(None) is None
    assert bulkread.json_value("not json") == "not json"  # as JSONField.from_db_value


def _ids(project: Project) -> Any:
    return Item.objects.filter(project=project).order_by("pk").values_list("id", "data")


def test_chunks_walk_every_row_in_order(project: Project) -> None:
    add_items(project=project, records=[{"data": {"text": f"t{n}"}} for n in range(23)])
    Item.objects.filter(project=project, data__text__in=["t3", "t4", "t10"]).delete()  # sparse ids
    expected = list(Item.objects.filter(project=project).order_by("pk").values_list("id", flat=True))
    for size in (1, 5, 20, 1000):
        chunks = list(bulkread.chunks(_ids(project), size=size))
        assert all(0 < len(chunk) <= size for chunk in chunks)
        assert [row[0] for chunk in chunks for row in chunk] == expected
        assert bulkread.json_value(chunks[0][0][1]) == {"text": "t0"}
    assert list(bulkread.chunks(_ids(project).filter(pk__lt=0))) == []
    with pytest.raises(ValueError):
        list(bulkread.chunks(Item.objects.order_by("-pk").values_list("id")))


@pytest.mark.django_db(transaction=True)
def test_chunks_outside_a_transaction_while_the_connection_writes(project: Project) -> None:
    """As an export job runs: autocommit (a WITH HOLD cursor on PostgreSQL), a progress UPDATE committed
    between chunks, and rows another statement changes meanwhile."""
    add_items(project=project, records=[{"data": {"text": f"t{n}"}} for n in range(12)])
    assert connection.get_autocommit() and not connection.in_atomic_block
    seen = []
    for chunk in bulkread.chunks(_ids(project), size=5):
        seen.extend(row[0] for row in chunk)
        with transaction.atomic():
            Project.objects.filter(pk=project.pk).update(name=f"walked {len(seen)}")
    assert seen == sorted(Item.objects.filter(project=project).values_list("id", flat=True))
    assert Project.objects.get(pk=project.pk).name == "walked 12"
