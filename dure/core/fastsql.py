"""Single-row INSERT and conditional UPDATE for the work loop's hot path, without the ORM's query compiler.

Each work-loop request writes a handful of rows. Building those statements with the ORM costs more CPU than
running them (profiled: ``SQLCompiler.as_sql`` dominated a cycle), so the hot path writes through these two
helpers. Values still go through each field's ``get_db_prep_save``, so JSON, datetimes and foreign keys are
stored exactly as the ORM would store them, on SQLite and PostgreSQL alike. Use them only for plain rows:
no signals are sent and ``auto_now`` fields are not filled in for you.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model


@cache
def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):  # pragma: no cover - a programming error
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return field


def _column(model: type[Model], name: str) -> str:
    column = _field(model, name).column
    assert column is not None
    return column


@cache
def _insert_sql(model: type[Model], names: tuple[str, ...], returning: bool) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in names)
    placeholders = ", ".join(["%s"] * len(names))
    pk_column = model._meta.pk.column if model._meta.pk is not None else None
    suffix = f" RETURNING {quote(pk_column)}" if returning and pk_column else ""
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}){suffix}"


@cache
def _update_sql(model: type[Model], names: tuple[str, ...], where: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(model, name))} = %s" for name in names)
    conditions = " AND ".join(
        f"{quote(_column(model, name.removesuffix('__isnull')))} IS NULL"
        if name.endswith("__isnull")
        else f"{quote(_column(model, name))} = %s"
        for name in where
    )
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {conditions}"


def _prepared(model: type[Model], values: dict[str, Any]) -> list[Any]:
    return [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]


def insert_row(model: type[Model], values: dict[str, Any], *, returning: bool = True) -> int | None:
    """INSERT one row; returns its primary key (or None with ``returning=False``)."""
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, tuple(values), returning), _prepared(model, values))
        return cursor.fetchone()[0] if returning else None


def update_rows(model: type[Model], values: dict[str, Any], **where: Any) -> int:
    """UPDATE rows matching ``where`` (equality; ``name__isnull=True`` for IS NULL); returns the row count."""
    where_names = tuple(where)
    params = _prepared(model, values) + [
        _field(model, name).get_db_prep_value(value, connection, prepared=False)
        for name, value in where.items()
        if not name.endswith("__isnull")
    ]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, tuple(values), where_names), params)
        return cursor.rowcount


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """``value`` as the ORM would store it in ``model.name``: for constants of a batch, prepared once."""
    return _field(model, name).get_db_prep_save(value, connection)


def insert_many(
    model: type[Model],
    names: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    skip_conflicts: bool = False,
    returning: bool = False,
) -> list[int]:
    """Multi-row INSERTs of rows already in database form (see ``db_value``); with ``skip_conflicts`` a row
    that would break a unique constraint is left out (``ON CONFLICT DO NOTHING``, SQLite and PostgreSQL).
    Returns the new primary keys in ascending order when ``returning``: the database may return them in
    any order, and ascending is the order the rows were inserted in."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in names)
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    pk_column = model._meta.pk.column if model._meta.pk is not None else None
    suffix = (" ON CONFLICT DO NOTHING" if skip_conflicts else "") + (
        f" RETURNING {quote(pk_column)}" if returning and pk_column else ""
    )
    # One statement per few hundred rows: fewer round trips than executemany, within SQLite's variable limit.
    limit = connection.features.max_query_params or 65535  # PostgreSQL's limit on bound parameters
    per_statement = max(1, min(1000, limit // len(names)))
    new: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES " + ", ".join(
                [row_sql] * len(part)
            )
            cursor.execute(sql + suffix, [value for row in part for value in row])
            if returning:
                new.extend(row[0] for row in cursor.fetchall())
    new.sort()
    return new
