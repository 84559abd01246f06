"""Reading many rows fast: querysets run as plain SQL, walked in primary-key order a chunk at a time.

Exports and certificates read every row of a project. The ORM's per-value converters (``json.loads`` for
every JSON column, a parse and a time zone for every SQLite datetime) cost more than the queries, so these
helpers run the queryset's own SQL on a plain cursor and leave decoding to the caller (``json_value``,
``aware``), once per value it actually uses.

Walking in chunks is the part that must not depend on the database's statistics. A keyset query (``pk >
last ORDER BY pk LIMIT n``) is cheap only when the planner walks the primary key; PostgreSQL without
statistics on a freshly imported table chose to scan and sort every remaining row for each chunk, which
made a 100,000-item export quadratic. So on PostgreSQL the whole ordered query runs once behind a
server-side cursor and is fetched a chunk at a time (in autocommit the cursor is ``WITH HOLD``: the server
keeps the result, the process holds one chunk, and no transaction stays open while the caller writes its
progress). SQLite walks by keyset: its planner uses the ``(project_id, id)`` index, and a statement left
open while the same connection writes (progress reports) would fail once another connection has
committed, so every chunk is its own statement.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from django.db import connection
from django.db.models import QuerySet

#: a run of digits that may be an integer orjson cannot hold exactly (it reads those as floats)
_LONG_DIGITS = re.compile(r"\d{19}")


def json_value(text: Any) -> Any:
    """A JSON column's value as the ORM would give it (``JSONField.from_db_value``), decoded by orjson when
    it reads the text exactly: integers beyond 64 bits (which orjson reads as floats), ``NaN`` and lone
    surrogates go through ``json``, like the ORM."""
    if not isinstance(text, str):
        return text
    if not _LONG_DIGITS.search(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _unchanged(value: dt.datetime | None) -> dt.datetime | None:
    return value


def aware() -> Callable[[dt.datetime | None], dt.datetime | None]:
    """Turns a datetime column's raw value into the aware UTC datetime the ORM gives: SQLite returns naive
    UTC datetimes, PostgreSQL aware ones already."""
    return _utc if connection.vendor == "sqlite" else _unchanged


def rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset as the driver returns them (see ``json_value``, ``aware``)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _server_side_cursors() -> bool:
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    )


def chunks(queryset: QuerySet[Any], size: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``queryset`` — a ``values_list`` ordered by ``pk`` whose first column is the pk — in
    lists of at most ``size``, as the driver returns them. Memory holds one chunk."""
    if queryset.query.order_by != ("pk",):
        raise ValueError("chunks() walks a queryset ordered by pk")
    if _server_side_cursors():
        sql, params = queryset.query.sql_with_params()
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(size):
                yield chunk
        return
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        chunk = rows(page[:size])
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return
        last = chunk[-1][0]
