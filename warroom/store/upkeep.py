"""Schema upkeep: a store an earlier version made gets this version's columns and indexes when it opens."""

from __future__ import annotations

from sqlalchemy import (
    Connection,
    func,
    inspect,
    select,
)
from sqlalchemy.schema import CreateColumn, CreateIndex

from warroom import schema
from warroom.store.keys import LIVE_BUYERS_COUNTER
from warroom.store.sql import _upsert


def _bring_schema_up_to_date(conn: Connection, big_order_fen: int) -> None:
    """Give a store an earlier version made the schema's columns and indexes: create_all makes missing tables, not the columns or indexes of those there.

    Only what differs is changed, so opening a current store takes no lock beyond two catalog reads and a meta row.
    A column added later has a server default (schema.py), which fills the rows already there. The partial
    index of big orders is made for `big_order_fen`, and made again when the event file changed that bound.
    """
    _count_live_buyers_once(conn)
    inspector = inspect(conn)
    preparer = conn.dialect.identifier_preparer
    for (_schema, table_name), columns in inspector.get_multi_columns().items():
        table = schema.metadata.tables.get(table_name)
        known = {column["name"] for column in columns}
        for column in [] if table is None else [column for column in table.columns if column.name not in known]:
            conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {CreateColumn(column).compile(dialect=conn.dialect)}")
    existing = {index["name"] for indexes in inspector.get_multi_indexes().values() for index in indexes}
    for name in existing.intersection(schema.REPLACED_INDEXES):
        conn.exec_driver_sql(f"DROP INDEX {conn.dialect.identifier_preparer.quote(name)}")
    for table in schema.metadata.sorted_tables:
        for index in table.indexes:
            if index.name not in existing:
                conn.execute(CreateIndex(index))
    meta, name = schema.meta, preparer.quote(schema.BIG_ORDER_INDEX)
    indexed = conn.execute(select(meta.c.value).where(meta.c.key == schema.BIG_ORDER_BOUND)).scalar_one_or_none()
    if schema.BIG_ORDER_INDEX in existing and (indexed or schema.EARLIER_BIG_ORDER_FEN) == big_order_fen:
        return
    if schema.BIG_ORDER_INDEX in existing:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    # An integer bound written into the statement, as a partial index needs a constant.
    conn.exec_driver_sql(f"CREATE INDEX {name} ON {preparer.format_table(schema.orders)} (seq) WHERE amount_fen >= {int(big_order_fen)}")
    _upsert(conn, meta, [{"key": schema.BIG_ORDER_BOUND, "value": int(big_order_fen)}], ("key",))


def _count_live_buyers_once(conn: Connection) -> None:
    """Give a store made before the live buyers counter (warroom.store.keys) its value, counted once from its customers; the ledger keeps it from then on."""
    counters = schema.counters
    if conn.execute(select(counters.c.name).where(counters.c.name == LIVE_BUYERS_COUNTER)).first() is not None:
        return
    seq = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seq")).scalar()
    _upsert(conn, counters, [{"name": LIVE_BUYERS_COUNTER, "value": _live_buyers(conn), "seq": seq or 0}], ("name",))


def _live_buyers(conn: Connection) -> int:
    """Return how many customers entered the live room and have a paid order, counted from the customers table."""
    customers = schema.customers
    return conn.execute(select(func.count()).where(customers.c.first_live_ts.is_not(None), customers.c.paid_orders > 0)).scalar_one()
