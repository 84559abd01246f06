"""Query conditions shared by apps that walk many rows by id (exports, delivery certificates)."""

from __future__ import annotations

from django.db.models import Q


def ids_lookup(field: str, ids: list[int]) -> Q:
    """``field`` among ``ids`` (ascending): as a range when the ids are nearly contiguous, which is the usual
    export. Django builds an IN list of a thousand ids parameter by parameter (4 ms a chunk, a fifth of a
    100,000-item export on SQLite); callers never look up the few rows of left-out items a range also
    reads. Sparse ids keep the IN list, so a chunk never reads far more rows than it asked for."""
    if ids and ids[-1] - ids[0] < 2 * len(ids):
        return Q(**{f"{field}__gte": ids[0], f"{field}__lte": ids[-1]})
    return Q(**{f"{field}__in": ids})
