"""The store's schema, declared once, for SQLite and PostgreSQL alike.

Money is integer fen, time is UTC epoch seconds. Every write transaction takes a new `seq`
(see store.Store.apply); rows it touches carry that seq, so a read model can fetch only what
changed since the seq it last saw instead of re-reading the whole order table.
"""

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text, false, text

metadata = MetaData()

# The big screen's ticker reads the big orders by seq (warroom.ticker). Only they are indexed, by a partial
# index: a full seq index cost every order one more write at ingest. Its bound is the event file's
# `[big_screen] big_order`, so the store makes it when it opens, and remakes it when the bound changes
# (warroom.store); the meta row BIG_ORDER_BOUND says which bound the index holds.
BIG_ORDER_INDEX = "orders_big_seq"
BIG_ORDER_BOUND = "big_order_fen"
# Stores made before the bound came from the event file have the index from ¥1,000 up, the default still.
EARLIER_BIG_ORDER_FEN = 100_000

# A table whose key is text: SQLite keeps it in the key's own b-tree (WITHOUT ROWID), rather than
# a rowid table plus a key index, so each row is written once, not twice, at ingest.
_KEYED_BY_TEXT = {"sqlite_with_rowid": False}

orders = Table(
    "orders",
    metadata,
    Column("order_id", String, primary_key=True),
    Column("ts", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("refund_fen", BigInteger, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("sku", String),
    Column("product", String),
    Column("qty", Integer, nullable=False, default=1),
    Column("customer_id", String),
    Column("staff_id", String),
    Column("group_id", String),
    # Attribution (SPEC §1) and the commission band are derived at ingest, so that the
    # rollups below can be kept by delta.
    Column("credited_staff", String),
    Column("band", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    # Only orders that name no staff are re-credited when a customer's inviter changes.
    Index("orders_customer", "customer_id", sqlite_where=text("staff_id IS NULL"), postgresql_where=text("staff_id IS NULL")),
    **_KEYED_BY_TEXT,
)

# Indexes an earlier version made that the schema no longer has: a store opened now drops them (warroom.store).
REPLACED_INDEXES = (
    "orders_seq",  # every order by seq, until orders_big_seq (2026-12-04)
)

checkins = Table(
    "checkins",
    metadata,
    Column("checkin_id", String, primary_key=True),
    Column("ts", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("customer_id", String),
    Column("group_id", String),
    Column("staff_id", String),
    Column("value", BigInteger),
    Column("seq", BigInteger, nullable=False),
    Index("checkins_kind_ts", "kind", "ts"),
    **_KEYED_BY_TEXT,
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String, primary_key=True),
    # The earliest inviter, from invite and join_group check-ins (SPEC §1 attribution).
    Column("inviter", String),
    Column("invited_ts", BigInteger),
    Column("first_join_ts", BigInteger),
    Column("first_live_ts", BigInteger),
    Column("paid_orders", Integer, nullable=False, default=0),
    Column("paid_fen", BigInteger, nullable=False, default=0),
    Column("first_paid_ts", BigInteger),
    Column("seq", BigInteger, nullable=False),
    **_KEYED_BY_TEXT,
    # Most orders update their customer's row; room left on each page lets PostgreSQL update it in
    # place (a HOT update, no new index entry): at a million orders, 344k of 597k updates were.
    postgresql_with={"fillfactor": 70},
)

# Order figures by dimension ('total', 'staff', 'sku', 'group', 'customer_tier' …), key,
# minute and commission band, kept by delta in the same transaction as the orders.
order_rollup = Table(
    "order_rollup",
    metadata,
    Column("dimension", String(16), primary_key=True),
    Column("key", String, primary_key=True),
    Column("minute", BigInteger, primary_key=True),
    Column("band", Integer, primary_key=True),
    Column("revenue_fen", BigInteger, nullable=False, default=0),
    Column("paid_orders", BigInteger, nullable=False, default=0),
    Column("refunded_orders", BigInteger, nullable=False, default=0),
    Column("refunded_fen", BigInteger, nullable=False, default=0),
    Column("cancelled_orders", BigInteger, nullable=False, default=0),
    Column("seq", BigInteger, nullable=False),
    Index("order_rollup_seq", "seq"),
)

# Check-in counts by kind, dimension ('total', 'staff', 'group'), key and minute; for
# `viewers` snapshots, `value_max` holds the peak and `value_last` the latest snapshot.
checkin_rollup = Table(
    "checkin_rollup",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("dimension", String(16), primary_key=True),
    Column("key", String, primary_key=True),
    Column("minute", BigInteger, primary_key=True),
    Column("events", BigInteger, nullable=False, default=0),
    Column("value_max", BigInteger),
    Column("value_last", BigInteger),
    Column("value_last_ts", BigInteger),
    Column("seq", BigInteger, nullable=False),
    Index("checkin_rollup_seq", "seq"),
)

# Distinct-customer counters (paying customers, funnel stages) kept on transitions, and the
# net revenue with its highest value seen at any commit (so a team pool can tell it was unlocked).
counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

# Money paid out to staff against their commission and pool share. Payouts are never edited:
# a refund after a payout leaves the member's balance negative, which shows as a clawback.
payouts = Table(
    "payouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff_id", String, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("paid_at", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("seq", BigInteger, nullable=False),
    Index("payouts_seq", "seq"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A digest of (feed, raw): the same bad line met again is one row, not two.
    Column("digest", String(40), nullable=False, unique=True),
    Column("feed", String, nullable=False),
    Column("position", String, nullable=False),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("first_seen_seq", BigInteger, nullable=False),
    # A note, not a row set aside: the row counts, once its control characters were removed (SPEC §5).
    # With a server default, so that a store an earlier version made gains the column (warroom.store).
    Column("repaired", Boolean, nullable=False, default=False, server_default=false()),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("feed", String, primary_key=True),
    Column("fingerprint", String, primary_key=True),
    Column("path", Text, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False, default=False),
    Column("seq", BigInteger, nullable=False),
)

# Small key/value facts about the store itself: the write seq and the last write's wall time.
meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Who runs the ingest: a second `warroom ingest` on the same store is refused while the
# holder's heartbeat is fresh.
leases = Table(
    "leases",
    metadata,
    Column("name", String, primary_key=True),
    Column("owner", String, nullable=False),
    Column("heartbeat", BigInteger, nullable=False),
)

# Flash-sale prompts (warroom.prompts, warroom.prompt_state). One row per prompt instance (a rule
# and its labels, e.g. a sale's countdown node or a group): its lifecycle state and the content
# the last evaluation rendered, so every screen shows the same prompts and a restart loses none.
# A resolved row stays as history until the same key fires again.
prompt_instances = Table(
    "prompt_instances",
    metadata,
    Column("key", String, primary_key=True),
    Column("rule", String, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("state", String(16), nullable=False),
    Column("active_since", BigInteger, nullable=False),
    Column("last_true_at", BigInteger, nullable=False),
    Column("fired_at", BigInteger),
    Column("resolved_at", BigInteger),
    Column("inhibited_by", Text, nullable=False),  # JSON list
    Column("content", Text, nullable=False),  # JSON: title, reason, groups, messages, link, figures …
    Index("prompt_instances_state", "state"),
)

# A lead's silences: prompts matching (rule, kind; NULL matches all) are held back between
# starts_at and ends_at; with a group_id only that group is taken out of the prompts.
prompt_silences = Table(
    "prompt_silences",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rule", String),
    Column("kind", String(24)),
    Column("group_id", String),
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("created_by", String, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("comment", Text, nullable=False),
    Index("prompt_silences_ends_at", "ends_at"),
)

# Acknowledgements: who pushed which prompt's message, when, into which groups. Lift (orders and
# check-ins before and after, targeted groups against the others) is computed from these.
prompt_pushes = Table(
    "prompt_pushes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("prompt_key", String, nullable=False),
    Column("rule", String, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("template", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("groups", Text, nullable=False),  # JSON list of group ids
    Column("staff_id", String, nullable=False),
    Column("pushed_at", BigInteger, nullable=False),
    Index("prompt_pushes_pushed_at", "pushed_at"),
)

# Prompts sent to the staff's group robots (warroom.notify): one row per firing of a prompt instance
# (its key and when it fired) and `[[notify]]` target, so each firing reaches each target at most once,
# across restarts. The row is written (queued) before any request and marked sending before each one;
# a row found sending when the dispatcher starts was cut off mid-request and is never sent again.
notifications = Table(
    "notifications",
    metadata,
    Column("prompt_key", String, primary_key=True),
    Column("fired_at", BigInteger, primary_key=True),
    Column("target", String, primary_key=True),
    Column("rule", String, nullable=False),
    Column("urgency", String(16), nullable=False),
    # queued, sending, retry (refused, waiting to try again), sent, merged (sent inside another row's
    # message), dropped (over the rate limit or stale), failed (gave up), unknown (cut off mid-request).
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("queued_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger),
    Column("payload", Text, nullable=False),  # JSON: what the message says (title, message, groups, link, expires_at)
    Column("detail", Text, nullable=False, default=""),  # why it was dropped, merged or failed (never a URL's key)
    Index("notifications_target_state", "target", "state"),
)

# Each `[[notify]]` target's health, for the setup page: its URL as it may be shown (key masked), the
# failures since its last success, and the last error.
notify_targets = Table(
    "notify_targets",
    metadata,
    Column("target", String, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("masked_url", Text, nullable=False),
    Column("failures_in_a_row", Integer, nullable=False, default=0),
    Column("last_sent_at", BigInteger),
    Column("last_error_at", BigInteger),
    Column("last_error", Text, nullable=False, default=""),
)
