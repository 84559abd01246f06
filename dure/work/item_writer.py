"""Writing many items at once: items and their open slots as plain rows, the database skipping the ones
already present. Used by ``add_items`` (the JSON items endpoint) and by the import job.

No model instances are built and nothing is looked up first: the two partial unique constraints on items
are exactly the re-import identity — the external id when there is one, else the content hash among items
without one — so every INSERT says ``ON CONFLICT DO NOTHING`` and only the new items get slots. On SQLite
the rows go as multi-row ``INSERT … RETURNING id`` (``fastsql.insert_many``); on PostgreSQL as ``COPY``
into a temporary staging table and one ``INSERT … SELECT`` that also writes the slots.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from dure.core import fastsql
from dure.projects.models import Project
from dure.work.models import Item, ItemState, Slot, SlotState

#: an item to write: external id (or None), content hash, the data as JSON text (``item_json``)
ItemEntry = tuple[str | None, str, str]


def item_json(data: Any) -> str:
    """The item data as stored: orjson is several times faster than json; integers beyond 64 bits,
    which orjson refuses, fall back to json."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(data, ensure_ascii=False)


def write_items(
    *,
    project: Project,
    entries: Iterable[ItemEntry],
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Writes the entries in order, all or none (a savepoint inside the caller's transaction); returns how
    many items were created and how many entries were written. The first of two entries with one identity
    wins, and new ids follow the entries' order. ``progress`` hears the count written after each batch.

    PostgreSQL copies when there is more than one batch; fewer rows go as one INSERT, which spares a
    request that adds a handful of items a temporary table (and the system catalogue its churn)."""
    remaining = iter(entries)
    first = list(itertools.islice(remaining, batch))
    everything = itertools.chain(first, remaining)
    with transaction.atomic():
        if connection.vendor == "postgresql" and len(first) == batch:
            return _write_copy(project=project, entries=everything, batch=batch * 5, progress=progress)
        return _write_insert(project=project, entries=everything, batch=batch, progress=progress)


def _constants() -> tuple[Any, Any]:
    now = timezone.now()
    return fastsql.db_value(Item, "created_at", now), fastsql.db_value(Slot, "updated_at", now)


def _write_insert(
    *, project: Project, entries: Iterable[ItemEntry], batch: int, progress: Callable[[int], None] | None
) -> tuple[int, int]:
    created_at, updated_at = _constants()
    item_names = ("project", "external_id", "content_hash", "data", "state", "approved_count", "created_at")
    slot_names = ("item", "project", "index", "state", "rework_round", "review_priority", "updated_at")
    created = written = 0
    for chunk in itertools.batched(entries, batch):
        ids = fastsql.insert_many(
            Item,
            item_names,
            [(project.pk, e, h, d, ItemState.OPEN, 0, created_at) for e, h, d in chunk],
            skip_conflicts=True,
            returning=True,
        )
        fastsql.insert_many(
            Slot,
            slot_names,
            [
                (i, project.pk, n, SlotState.OPEN, 0, 0, updated_at)
                for i in ids
                for n in range(project.overlap)
            ],
        )
        created += len(ids)
        written += len(chunk)
        if progress is not None:
            progress(written)
    return created, written


def _write_copy(
    *, project: Project, entries: Iterable[ItemEntry], batch: int, progress: Callable[[int], None] | None
) -> tuple[int, int]:
    created_at, updated_at = _constants()
    quote = connection.ops.quote_name
    item, slot = quote(Item._meta.db_table), quote(Slot._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        # Inside the transaction: a failure rolls the staged rows back with everything else.
        cursor.execute(
            "CREATE TEMPORARY TABLE dure_import_staging (seq bigint, external_id varchar(200), "
            "content_hash varchar(64), data jsonb) ON COMMIT DROP"
        )
        for chunk in itertools.batched(entries, batch):
            # One COPY per batch: the connection can run the progress and cancel queries in between.
            with cursor.cursor.copy(
                "COPY dure_import_staging (seq, external_id, content_hash, data) FROM STDIN"
            ) as copy:
                for n, (external_id, digest, data) in enumerate(chunk, start=written):
                    copy.write_row((n, external_id, digest, data))
            written += len(chunk)
            if progress is not None:
                progress(written)
        # ORDER BY seq: the first of two records with one identity wins, and ids follow the entries' order.
        cursor.execute(
            f"WITH new AS (INSERT INTO {item} (project_id, external_id, content_hash, data, state, "
            f"approved_count, created_at) SELECT %s, external_id, content_hash, data, %s, 0, %s "
            f"FROM dure_import_staging ORDER BY seq ON CONFLICT DO NOTHING RETURNING id), "
            f"slots AS (INSERT INTO {slot} (item_id, project_id, {quote('index')}, state, rework_round, "
            f"review_priority, updated_at) SELECT new.id, %s, g.n, %s, 0, 0, %s FROM new "
            f"CROSS JOIN generate_series(0, %s) AS g(n) ORDER BY new.id, g.n) "
            f"SELECT count(*) FROM new",
            [
                project.pk,
                ItemState.OPEN,
                created_at,
                project.pk,
                SlotState.OPEN,
                updated_at,
                project.overlap - 1,
            ],
        )
        created = cursor.fetchone()[0]
        # The table goes at commit; dropping it now lets a second write in the same transaction stage too.
        cursor.execute("DROP TABLE dure_import_staging")
    return created, written
