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
