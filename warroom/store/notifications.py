"""The store's part of sending prompts to group robots (warroom.notify): each firing's row per target, and each target's health.

A row's life: queued (the intent, written before any request) → sending (written before each request) →
sent, retry (the robot refused it: tried again later), failed (gave up), merged (sent inside another row's
message) or dropped (over the rate limit, or stale). A row still `sending` when a dispatcher starts was cut
off mid-request: whether the robot got it is unknown, and it is marked so and never sent again (at most once).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager

from sqlalchemy import Connection, Engine, and_, func, select, update

from warroom import schema
from warroom.store.sql import _insert, _upsert

# (prompt_key, fired_at, target): one firing of a prompt instance for one target.
NotificationKey = tuple[str, int, str]
# States whose row is still to be sent.
WAITING = ("queued", "retry")
# States of a row whose request went out (or may have).
ATTEMPTED = ("sending", "sent", "retry", "failed", "unknown")


class NotificationStore:
    """Mixed into `warroom.store.Store`: the notifications' rows and the targets' health."""

    writer: Engine

    def reading(self) -> AbstractContextManager[Connection]:
        """Return a read transaction's connection (Store's own `reading`)."""
        raise NotImplementedError

    def queue_notifications(self, rows: list[dict]) -> int:
        """Insert the rows of firings not yet known (state queued); rows whose key is there already are left as they are. Return how many were new."""
        if not rows:
            return 0
        table = schema.notifications
        with self.writer.begin() as conn:
            before = conn.execute(select(func.count()).select_from(table)).scalar_one()
            conn.execute(_insert(conn, table).on_conflict_do_nothing(), [{"state": "queued", "attempts": 0, "detail": "", **row} for row in rows])
            return conn.execute(select(func.count()).select_from(table)).scalar_one() - before

    def notification_keys(self, targets: Iterable[str]) -> set[NotificationKey]:
        """Return the key of every row of these targets (whatever its state): the firings already queued or done."""
        table = schema.notifications
        with self.reading() as conn:
            query = select(table.c.prompt_key, table.c.fired_at, table.c.target).where(table.c.target.in_(list(targets)))
            return {(key, fired_at, target) for key, fired_at, target in conn.execute(query)}

    def waiting_notifications(self) -> list[dict]:
        """Return the rows still to be sent (queued or waiting to retry), oldest first."""
        table = schema.notifications
        with self.reading() as conn:
            query = select(table).where(table.c.state.in_(WAITING)).order_by(table.c.queued_at, table.c.prompt_key, table.c.target)
            return [dict(row) for row in conn.execute(query).mappings()]

    def notifications(self, target: str | None = None) -> list[dict]:
        """Return every notification row (of one target, or all), oldest first."""
        table = schema.notifications
        query = select(table).order_by(table.c.queued_at, table.c.prompt_key, table.c.target)
        if target is not None:
            query = query.where(table.c.target == target)
        with self.reading() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def mark_notifications(self, keys: Iterable[NotificationKey], state: str, *, at: int, detail: str = "",
                           next_attempt_at: int | None = None, attempt: bool = False) -> None:
        """Move rows to `state` at `at` (epoch seconds) with why; `attempt` counts a request about to go out (state sending)."""
        table = schema.notifications
        values: dict = {"state": state, "updated_at": at, "detail": detail, "next_attempt_at": next_attempt_at}
        if attempt:
            values["attempts"] = table.c.attempts + 1
        with self.writer.begin() as conn:
            for prompt_key, fired_at, target in keys:
                conn.execute(update(table).where(_key_is(prompt_key, fired_at, target)).values(**values))

    def abandon_interrupted_notifications(self, *, at: int) -> int:
        """Mark rows left `sending` by a dispatcher that stopped mid-request as unknown (never sent again); return how many."""
        table = schema.notifications
        with self.writer.begin() as conn:
            detail = "cut off mid-request: the robot may have it; not sent again (at most once)"
            return conn.execute(update(table).where(table.c.state == "sending").values(state="unknown", updated_at=at, detail=detail)).rowcount

    def notification_attempts_since(self, target: str, since: int) -> int:
        """Return how many requests went (or may have gone) to a target since `since`: what a restarted rate limiter must count."""
        table = schema.notifications
        query = select(func.count()).where(table.c.target == target, table.c.state.in_(ATTEMPTED), table.c.updated_at >= since)
        with self.reading() as conn:
            return conn.execute(query).scalar_one()

    # -- the targets' health ------------------------------------------------------------------------

    def register_notify_target(self, target: str, kind: str, masked_url: str) -> None:
        """Note a target (its URL as it may be shown), keeping its health when it is known already."""
        row = {"target": target, "kind": kind, "masked_url": masked_url, "failures_in_a_row": 0, "last_error": ""}
        with self.writer.begin() as conn:
            _upsert(conn, schema.notify_targets, [row], ("target",), update_columns=("kind", "masked_url"))

    def note_notify_outcome(self, target: str, *, at: int, error: str | None) -> None:
        """Record one request's outcome for a target: a success resets its failures, an error (already free of secrets) adds one."""
        table = schema.notify_targets
        if error is None:
            values: dict = {"failures_in_a_row": 0, "last_sent_at": at}
        else:
            values = {"failures_in_a_row": table.c.failures_in_a_row + 1, "last_error_at": at, "last_error": error}
        with self.writer.begin() as conn:
            conn.execute(update(table).where(table.c.target == target).values(**values))

    def notify_health(self) -> list[dict]:
        """Return each registered target's health with how many of its rows are in each state (`counts`), by target."""
        targets, rows = schema.notify_targets, schema.notifications
        with self.reading() as conn:
            health = [dict(row) for row in conn.execute(select(targets).order_by(targets.c.target)).mappings()]
            counts: dict[str, dict[str, int]] = {}
            for target, state, count in conn.execute(select(rows.c.target, rows.c.state, func.count()).group_by(rows.c.target, rows.c.state)):
                counts.setdefault(target, {})[state] = int(count)
        return [row | {"counts": counts.get(row["target"], {})} for row in health]


def _key_is(prompt_key: str, fired_at: int, target: str):
    table = schema.notifications
    return and_(table.c.prompt_key == prompt_key, table.c.fired_at == fired_at, table.c.target == target)
