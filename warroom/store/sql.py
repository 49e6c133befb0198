"""The store's SQL building blocks: the write seq and counters, upserts run through the driver (COPY on PostgreSQL for many rows), keyed fetches."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    Connection,
    Table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from warroom import schema
from warroom.store.keys import PROMPTS_SEQ

_CHUNK = 5_000
# Keys per SQLite `IN (…)` lookup.
_FETCH_CHUNK = 1_000
# From this many rows a PostgreSQL bulk upsert goes by COPY and a staging table.
_COPY_MIN_ROWS = 500


def _next_seq(conn: Connection) -> int:
    """Take the next write seq; the counter's row lock serialises writers."""
    meta = schema.meta
    return conn.execute(update(meta).where(meta.c.key == "seq").values(value=meta.c.value + 1).returning(meta.c.value)).scalar_one()


def _bump_prompts_seq(conn: Connection) -> None:
    """Move the prompts seq, which screens key their cached prompts on."""
    meta = schema.meta
    _upsert(conn, meta, [{"key": PROMPTS_SEQ, "value": 0}], ("key",), update_columns=())
    conn.execute(update(meta).where(meta.c.key == PROMPTS_SEQ).values(value=meta.c.value + 1))


def _add_to_counters(conn: Connection, deltas: dict[str, int]) -> int:
    """Add to named counters under a write seq of their own, so the read models pick the change up; return the seq."""
    seq = _next_seq(conn)
    _upsert(conn, schema.counters, [{"name": name, "value": value, "seq": seq} for name, value in deltas.items()], ("name",),
            update_columns=("seq",), add=("value",))
    return seq


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _upsert(conn: Connection, table, rows: list[dict], keys: tuple[str, ...], *, update_columns: tuple[str, ...] | None = None, add: tuple[str, ...] = ()) -> None:
    """Insert rows, or on a key conflict overwrite `update_columns` (default: all) and add to `add` columns."""
    if not rows:
        return
    columns = tuple(rows[0])
    _upsert_rows(conn, table, columns, [tuple(row[name] for name in columns) for row in rows], keys, update_columns=update_columns, add=add)


def _upsert_rows(
    conn: Connection, table, columns: tuple[str, ...], rows: list[tuple], keys: tuple[str, ...], *,
    update_columns: tuple[str, ...] | None = None, add: tuple[str, ...] = (), bulk: bool = False,
) -> int:
    """Upsert rows given as tuples in `columns` order, like `_upsert`; return how many rows the database wrote.

    The statement is built once per shape and runs through the driver, so a row costs no SQLAlchemy
    work. With `bulk` (the caller promises each key at most once) PostgreSQL takes many rows by COPY.
    """
    if not rows:
        return 0
    plan = _upsert_plan(conn.dialect, table, tuple(columns), tuple(keys), None if update_columns is None else tuple(update_columns), tuple(add))
    if plan.fill is not None:
        rows = [plan.fill(row) for row in rows]
    if bulk and conn.dialect.name == "postgresql" and len(rows) >= _COPY_MIN_ROWS:
        return _copy_upsert(conn, plan, rows)
    return conn.exec_driver_sql(plan.sql, rows).rowcount


def _insert_new_rows(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple], keys: tuple[str, ...]) -> None:
    """Insert rows whose keys the caller found unused in this write transaction (writers are serialised, so they still are).

    No conflict to handle, so PostgreSQL takes many rows by COPY straight into the table. Were a key
    used after all, the insert fails and the batch rolls back, rather than overwrite a row unseen.
    """
    if not rows:
        return
    plan = _upsert_plan(conn.dialect, table, tuple(columns), tuple(keys), (), ())
    if plan.fill is not None:
        rows = [plan.fill(row) for row in rows]
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_MIN_ROWS:
        with _driver_errors(conn), conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(plan.copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(plan.insert_sql, rows)


@dataclass(frozen=True)
class _UpsertPlan:
    """One upsert shape, built once: its statements, and how a caller's row becomes the inserted one."""

    table: Table
    # The inserted columns: the caller's, then those it left out that have a Python-side default.
    columns: tuple[str, ...]
    sql: str
    # The plain INSERT, and COPY into the table, for rows whose keys are known to be new.
    insert_sql: str
    copy_sql: str
    # For PostgreSQL's COPY path: the staging table and the INSERT … SELECT that upserts from it.
    stage: str
    merge_sql: str
    # Appends the defaults and applies the column types' bind processors; None when rows go as they are.
    fill: Callable[[tuple], tuple] | None


@lru_cache(maxsize=256)
def _upsert_plan(dialect, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], update_columns: tuple[str, ...] | None, add: tuple[str, ...]) -> _UpsertPlan:
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    left_out = [column for column in table.columns if column.name not in columns and column.default is not None]
    if any(not column.default.is_scalar for column in left_out):
        raise ValueError(f"{table.name}: an upsert must give the columns whose default is not a constant")
    inserted = columns + tuple(column.name for column in left_out)
    defaults = tuple(column.default.arg for column in left_out)
    processors = tuple(
        (position, processor) for position, column in enumerate(inserted)
        if (processor := table.c[column].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    if update_columns is None:
        update_columns = tuple(column for column in columns if column not in keys and column not in add)
    assignments = [f"{quote(column)} = excluded.{quote(column)}" for column in update_columns]
    assignments += [f"{quote(column)} = {name}.{quote(column)} + excluded.{quote(column)}" for column in add]
    target = ", ".join(map(quote, keys))
    conflict = f"ON CONFLICT ({target}) DO UPDATE SET {', '.join(assignments)}" if assignments else f"ON CONFLICT ({target}) DO NOTHING"
    listed = ", ".join(map(quote, inserted))
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    stage = f"warroom_stage_{table.name}_{zlib.crc32(listed.encode()):08x}"
    insert_sql = f"INSERT INTO {name} ({listed}) VALUES ({', '.join([placeholder] * len(inserted))})"
    return _UpsertPlan(
        table=table,
        columns=inserted,
        sql=f"{insert_sql} {conflict}",
        insert_sql=insert_sql,
        copy_sql=f"COPY {name} ({listed}) FROM STDIN",
        stage=stage,
        merge_sql=f"INSERT INTO {name} ({listed}) SELECT {listed} FROM {stage} {conflict}",
        fill=_filler(defaults, processors) if defaults or processors else None,
    )


def _filler(defaults: tuple, processors: tuple) -> Callable[[tuple], tuple]:
    def fill(row: tuple) -> tuple:
        row = row + defaults
        if not processors:
            return row
        values = list(row)
        for position, processor in processors:
            values[position] = processor(values[position])
        return tuple(values)

    return fill


def _copy_upsert(conn: Connection, plan: _UpsertPlan, rows: list[tuple]) -> int:
    """PostgreSQL: COPY the rows into a temporary staging table, then upsert them all with one INSERT … SELECT."""
    listed = ", ".join(map(conn.dialect.identifier_preparer.quote, plan.columns))
    table = conn.dialect.identifier_preparer.format_table(plan.table)
    with _driver_errors(conn), conn.connection.dbapi_connection.cursor() as cursor:
        # One staging table per session and row shape, emptied at each commit and before each use.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {plan.stage} ON COMMIT DELETE ROWS AS SELECT {listed} FROM {table} WITH NO DATA; TRUNCATE {plan.stage}")
        with cursor.copy(f"COPY {plan.stage} ({listed}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(plan.merge_sql)
        return cursor.rowcount


@contextmanager
def _driver_errors(conn: Connection) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy's, as for statements that SQLAlchemy runs itself."""
    error_class = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except error_class as error:
        raise DBAPIError.instance(None, None, error, error_class, dialect=conn.dialect) from error


def _fetch(conn: Connection, table, key_column: str, keys: Iterable[str]) -> dict[str, dict]:
    """Return the stored rows whose `key_column` is one of `keys`, as dicts by key."""
    columns = tuple(column.name for column in table.columns)
    at = columns.index(key_column)
    return {row[at]: dict(zip(columns, row, strict=True)) for row in _fetch_rows(conn, table, columns, key_column, keys)}


def _fetch_rows(conn: Connection, table, columns: tuple[str, ...], key_column: str, keys: Iterable[str]) -> list[tuple]:
    """Return the `columns` of the stored rows whose `key_column` is one of `keys`, in one lookup per chunk of keys."""
    keys = list(keys)
    if not keys:
        return []
    select_sql = _select_sql(conn.dialect, table, columns, key_column)
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql(f"{select_sql} = ANY(%s)", (keys,)).all()
    found = []
    for start in range(0, len(keys), _FETCH_CHUNK):
        chunk = keys[start:start + _FETCH_CHUNK]
        # Padded with its last key, every chunk runs the same statement, which sqlite3 prepares once.
        chunk += chunk[-1:] * (_FETCH_CHUNK - len(chunk))
        found += conn.exec_driver_sql(f"{select_sql} IN ({', '.join('?' * _FETCH_CHUNK)})", tuple(chunk)).all()
    return found


@lru_cache(maxsize=64)
def _select_sql(dialect, table: Table, columns: tuple[str, ...], key_column: str) -> str:
    quote = dialect.identifier_preparer.quote
    return f"SELECT {', '.join(map(quote, columns))} FROM {dialect.identifier_preparer.format_table(table)} WHERE {quote(key_column)}"
