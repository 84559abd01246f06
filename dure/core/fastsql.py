"""The work loop's hot path without the ORM's query compiler: single-row INSERTs, conditional UPDATEs and
hand-written SELECTs that still return model instances.

Each work-loop request reads and writes a handful of rows. Building those statements with the ORM costs more
CPU than running them (profiled: ``SQLCompiler.as_sql`` and ``Query.build_filter`` were half of a cycle), so
the hot path goes through these helpers. Written values go through each field's ``get_db_prep_save`` and read
values through the ORM's own converters, so JSON, datetimes and foreign keys are stored and loaded exactly as
the ORM would, on SQLite and PostgreSQL alike; the SQL of a call site is built once per process. Use them
only for plain rows: no signals are sent and ``auto_now`` fields are not filled in for you.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def insert_computed(
    model: type[Model],
    values: dict[str, Any],
    computed: tuple[tuple[str, str], ...],
    params: list[Any],
    returning: tuple[str, ...],
) -> tuple[Any, ...]:
    """INSERT one row where some columns are SQL expressions (``computed``: field name → SQL, whose ``%s``
    take ``params``), e.g. a version number counted by a subquery in the same statement; returns the
    ``returning`` fields of the new row."""
    sql = _insert_computed_sql(model, tuple(values), computed, returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, _prepared(model, values) + params)
        return tuple(cursor.fetchone())


@cache
def _insert_computed_sql(
    model: type[Model],
    names: tuple[str, ...],
    computed: tuple[tuple[str, str], ...],
    returning: tuple[str, ...],
) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in (*names, *(name for name, _sql in computed)))
    placeholders = ", ".join(["%s"] * len(names) + [sql for _name, sql in computed])
    returned = ", ".join(quote(_column(model, name)) for name in returning)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING {returned}"
    )


def update_rows(model: type[Model], values: dict[str, Any], **where: Any) -> int:
    """UPDATE rows matching ``where`` (equality; ``name__isnull=True`` for IS NULL); returns the row count."""
    return write_together(update_statement(model, values, **where))[0]


@dataclass(frozen=True)
class Write:
    """One INSERT or UPDATE, not yet run (see ``write_together``)."""

    sql: str
    params: list[Any]


def update_statement(model: type[Model], values: dict[str, Any], **where: Any) -> Write:
    """The UPDATE ``update_rows`` runs."""
    params = _prepared(model, values) + [
        _field(model, name).get_db_prep_value(value, connection, prepared=False)
        for name, value in where.items()
        if not name.endswith("__isnull")
    ]
    return Write(_update_sql(model, tuple(values), tuple(where)), params)


def insert_statement(model: type[Model], values: dict[str, Any]) -> Write:
    """The INSERT ``insert_row(..., returning=False)`` runs."""
    return Write(_insert_sql(model, tuple(values), False), _prepared(model, values))


def write_together(*writes: Write) -> list[int]:
    """Runs INSERTs and UPDATEs that do not depend on each other; returns each one's row count.

    On PostgreSQL they go as one statement (data-modifying ``WITH`` parts, which all run, on one snapshot):
    one round trip instead of one per write, which on the work loop's path costs more than the writes
    themselves. Elsewhere they run one after the other. So none may read what another writes, and no two
    may write the same row (PostgreSQL would keep only one of the changes).
    """
    if len(writes) > 1 and connection.vendor == "postgresql":
        parts = ", ".join(f"w{n} AS ({write.sql} RETURNING 1)" for n, write in enumerate(writes))
        counts = ", ".join(f"(SELECT count(*) FROM w{n})" for n in range(len(writes)))
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {parts} SELECT {counts}", [p for write in writes for p in write.params])
            return [int(count) for count in cursor.fetchone()]
    found = []
    with connection.cursor() as cursor:
        for write in writes:
            cursor.execute(write.sql, write.params)
            found.append(cursor.rowcount)
    return found


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


# --- reads -----------------------------------------------------------------------------------------------

Converter = Any


@dataclass(frozen=True)
class _Part:
    """One model's columns in a fetched row: where they start and which need converting."""

    model: type[Model]
    path: tuple[str, ...]  # relation names from the main model ("submission", "item"); () for the main one
    start: int
    attnames: tuple[str, ...]
    nullable: bool  # joined through a nullable foreign key: the whole part may be NULL
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]


@dataclass(frozen=True)
class _Plan:
    sql: str
    parts: tuple[_Part, ...]


def _converters(
    model: type[Model], alias: str, fields: list[Field[Any, Any]]
) -> tuple[tuple[int, tuple[Converter, ...], Any], ...]:
    found = []
    for index, field in enumerate(fields):
        column = field.get_col(alias)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, tuple(converters), column))
    return tuple(found)


def _pk_column(model: type[Model]) -> str:
    assert model._meta.pk is not None and model._meta.pk.column is not None
    return model._meta.pk.column


@cache
def _plan(
    model: type[Model],
    where: str,
    related: tuple[str, ...],
    order_by: str,
    limit: int | None,
    lock: str,
    defer: tuple[tuple[str, tuple[str, ...]], ...],
) -> _Plan:
    deferred = dict(defer)
    quote = connection.ops.quote_name
    columns: list[str] = []
    joins: list[str] = []
    parts: list[_Part] = []

    def add(part_model: type[Model], alias: str, path: tuple[str, ...], nullable: bool) -> None:
        skip = deferred.get("__".join(path), ())
        fields = [f for f in part_model._meta.concrete_fields if f.name not in skip]
        parts.append(
            _Part(
                model=part_model,
                path=path,
                start=len(columns),
                attnames=tuple(f.attname for f in fields),
                nullable=nullable,
                converters=_converters(part_model, alias, fields),
            )
        )
        columns.extend(f"{quote(alias)}.{quote(f.column or f.name)}" for f in fields)

    add(model, "m", (), False)
    aliases: dict[tuple[str, ...], tuple[type[Model], str, bool]] = {(): (model, "m", False)}
    for name in related:
        path = tuple(name.split("__"))
        parent_model, parent_alias, parent_nullable = aliases[path[:-1]]
        field = parent_model._meta.get_field(path[-1])
        target = field.related_model
        assert isinstance(target, type) and issubclass(target, Model) and isinstance(field, Field)
        alias = "r_" + "_".join(path)
        nullable = parent_nullable or bool(field.null)
        joins.append(
            f"{'LEFT OUTER' if nullable else 'INNER'} JOIN {quote(target._meta.db_table)} {quote(alias)} "
            f"ON {quote(alias)}.{quote(_pk_column(target))} = {quote(parent_alias)}.{quote(_column(parent_model, field.name))}"
        )
        aliases[path] = (target, alias, nullable)
        add(target, alias, path, nullable)
    sql = f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} {quote('m')} "
    sql += " ".join(joins)
    sql += f" WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if lock and connection.features.has_select_for_update:
        # SQLite has no row locks: its transactions begin IMMEDIATE and are serialised (see settings).
        sql += f" FOR UPDATE OF {quote('m')}" + (" SKIP LOCKED" if lock == "skip" else "")
    return _Plan(sql=sql, parts=tuple(parts))


def fetch[M: Model](
    model: type[M],
    where: str,
    params: list[Any] | tuple[Any, ...] = (),
    *,
    related: tuple[str, ...] = (),
    order_by: str = "",
    limit: int | None = None,
    lock: str = "",
    defer: dict[str, tuple[str, ...]] | None = None,
) -> list[M]:
    """Model instances (all concrete fields) for a hand-written ``where`` on the main table, aliased ``m``.

    ``related`` names foreign keys to load in the same query (``"submission__item"`` for a chain); they are
    cached on the instances as ``select_related`` would. ``lock="update"`` adds ``FOR UPDATE OF m``,
    ``lock="skip"`` also ``SKIP LOCKED`` (PostgreSQL; nothing on SQLite). Values are converted by the same
    converters the ORM uses, so the instances equal what a queryset returns; the SQL is built once per
    call site, so no query compiler runs per request. ``defer`` leaves fields out per relation
    (``{"project": ("guideline",)}``): large columns a caller does not read; the ORM loads them on first use.
    """
    plan = _plan(model, where, related, order_by, limit, lock, tuple(sorted((defer or {}).items())))
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        rows = cursor.fetchall()
    found: list[M] = []
    for row in rows:
        built: dict[tuple[str, ...], Model | None] = {}
        for part in plan.parts:
            width = len(part.attnames)
            values = list(row[part.start : part.start + width])
            if part.nullable and values[0] is None:  # the primary key: no related row
                instance: Model | None = None
            else:
                for index, converters, column in part.converters:
                    value = values[index]
                    for converter in converters:
                        value = converter(value, column, connection)
                    values[index] = value
                instance = part.model.from_db("default", part.attnames, values)
            built[part.path] = instance
            if part.path:
                parent = built[part.path[:-1]]
                if parent is not None:
                    parent._meta.get_field(part.path[-1]).set_cached_value(parent, instance)  # type: ignore[union-attr]
        found.append(built[()])  # type: ignore[arg-type]
    return found


def fetch_one[M: Model](
    model: type[M], where: str, params: list[Any] | tuple[Any, ...] = (), **options: Any
) -> M | None:
    """The first instance ``fetch`` finds, or None."""
    found = fetch(model, where, params, limit=1, **options)
    return found[0] if found else None
