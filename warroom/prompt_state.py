"""Prompts in the store: the evaluator beside the ingest, pushes, silences and lift.

The pure side is `warroom.prompts`. Here:
- `load_series` reads the per-minute figures the rules need from the rollups (bounded by the
  event's minutes, groups and products, never the order table);
- `load_state` / `save_state` keep prompt instances in `prompt_instances`, so every screen shows
  the same prompts and a restart loses none; `save_state` writes only the rows that changed;
- `PromptEvaluator.tick(now)` is the one call the ingest loop makes every few seconds;
- `acknowledge`, `silence`, `expire_silence` and `list_prompts` are what the pages call;
- `lift` compares orders and check-ins in the minutes after each push with the minutes before,
  in the targeted groups against the others, and `lift_summary` totals it by rule, template or
  staff member (for the hype squad's leaderboard).

Time is always passed in; store times are UTC epoch seconds. Prompt writes do not bump the
ingest's `meta.seq` (the figures would re-read for nothing); they bump `meta.prompts_seq`, which a
page can use as a cache key.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from warroom import schema
from warroom.clock import Clock, SystemClock, at_second, minute_of
from warroom.config import EventConfig
from warroom.figures import COUNTED_KINDS
from warroom.prompt_rules import Content, MinuteSeries, RuleBook, signals_at
from warroom.prompts import FIRING, RESOLVED, RESOLVED_RETENTION, Instance, Prompt, PromptState, Push, Silence, evaluate, prompts_of, replay, suggested_template
from warroom.store import Store
from warroom.store.keys import PROMPTS_EVALUATED_AT, PROMPTS_SEQ

# An evaluation older than this is not trusted by `prompts_at`: it replays instead.
STALE_AFTER = timedelta(minutes=2)
LIFT_MINUTES = 10


def _ts(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _dt(seconds: int | None) -> datetime | None:
    return None if seconds is None else at_second(seconds)


def _whole_second(moment: datetime) -> datetime:
    """Return a moment truncated to the second, as the store keeps it."""
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


# -- the minute series ---------------------------------------------------------------------------


def load_series(conn: Connection, book: RuleBook, until_minute: int | None = None) -> MinuteSeries:
    """Return the per-minute figures the prompt rules read, from the rollups (minutes before `until_minute` when given)."""
    orders_rollup, checkin_rollup = schema.order_rollup, schema.checkin_rollup

    def bounded(table, *conditions):
        return and_(*conditions, table.c.minute < until_minute) if until_minute is not None else and_(*conditions)

    orders, revenue = {}, {}
    query = (
        select(orders_rollup.c.minute, func.sum(orders_rollup.c.paid_orders), func.sum(orders_rollup.c.revenue_fen))
        .where(bounded(orders_rollup, orders_rollup.c.dimension == "total")).group_by(orders_rollup.c.minute)
    )
    for minute, paid, fen in conn.execute(query):
        orders[minute], revenue[minute] = int(paid), int(fen)
    viewers = {
        minute: int(value) for minute, value in conn.execute(
            select(checkin_rollup.c.minute, checkin_rollup.c.value_last)
            .where(bounded(checkin_rollup, checkin_rollup.c.kind == "viewers", checkin_rollup.c.dimension == "total", checkin_rollup.c.value_last.is_not(None)))
        )
    }
    active: dict[str, set[int]] = defaultdict(set)
    for key, minute in conn.execute(
        select(orders_rollup.c.key, orders_rollup.c.minute).distinct()
        .where(bounded(orders_rollup, orders_rollup.c.dimension == "group", orders_rollup.c.paid_orders > 0))
    ):
        active[key].add(minute)
    joins: dict[str, dict[int, int]] = defaultdict(dict)
    for kind, key, minute, events in conn.execute(
        select(checkin_rollup.c.kind, checkin_rollup.c.key, checkin_rollup.c.minute, checkin_rollup.c.events)
        .where(bounded(checkin_rollup, checkin_rollup.c.dimension == "group", checkin_rollup.c.kind != "viewers", checkin_rollup.c.events > 0))
    ):
        active[key].add(minute)
        if kind == "join_group":
            joins[key][minute] = joins[key].get(minute, 0) + int(events)
    sku_orders: dict[str, dict[int, int]] = defaultdict(dict)
    sku_revenue: dict[str, dict[int, int]] = defaultdict(dict)
    for key, minute, paid, fen in conn.execute(
        select(orders_rollup.c.key, orders_rollup.c.minute, func.sum(orders_rollup.c.paid_orders), func.sum(orders_rollup.c.revenue_fen))
        .where(bounded(orders_rollup, orders_rollup.c.dimension == "sku")).group_by(orders_rollup.c.key, orders_rollup.c.minute)
    ):
        sku_orders[key][minute], sku_revenue[key][minute] = int(paid), int(fen)
    return MinuteSeries(
        orders=orders, revenue_fen=revenue, viewers=viewers,
        group_active={key: tuple(sorted(minutes)) for key, minutes in active.items()},
        group_joins=dict(joins), sku_orders=dict(sku_orders), sku_revenue_fen=dict(sku_revenue),
    )


# -- instances, silences and pushes ----------------------------------------------------------------


def _content_json(content: Content) -> str:
    return json.dumps({
        "title": content.title, "reason": content.reason, "groups": list(content.groups), "messages": list(content.messages),
        "link": content.link, "figures": dict(content.figures), "deadline": _ts(content.deadline), "expires_at": _ts(content.expires_at),
        "title_key": content.title_key, "reason_key": content.reason_key, "text_values": dict(content.text_values),
    }, ensure_ascii=False, sort_keys=True)


def _content(text: str) -> Content:
    data = json.loads(text)
    return Content(
        title=data["title"], reason=data["reason"], groups=tuple(data["groups"]), messages=tuple(data["messages"]),
        link=data["link"], figures=data["figures"], deadline=_dt(data["deadline"]), expires_at=_dt(data["expires_at"]),
        # Content stored before the text keys has none: it shows its Chinese title and reason.
        title_key=data.get("title_key", ""), reason_key=data.get("reason_key", ""), text_values=data.get("text_values", {}),
    )


def _instance_row(instance: Instance) -> dict:
    return {
        "key": instance.key, "rule": instance.rule, "kind": instance.kind, "state": instance.state,
        "active_since": _ts(instance.active_since), "last_true_at": _ts(instance.last_true_at),
        "fired_at": _ts(instance.fired_at), "resolved_at": _ts(instance.resolved_at),
        "inhibited_by": json.dumps(list(instance.inhibited_by)), "content": _content_json(instance.content),
    }


def _instance(row) -> Instance:
    return Instance(
        key=row["key"], rule=row["rule"], kind=row["kind"], state=row["state"],
        active_since=_dt(row["active_since"]), last_true_at=_dt(row["last_true_at"]), content=_content(row["content"]),
        fired_at=_dt(row["fired_at"]), resolved_at=_dt(row["resolved_at"]), inhibited_by=tuple(json.loads(row["inhibited_by"])),
    )


def _silence(row) -> Silence:
    return Silence(
        id=row["id"], starts_at=_dt(row["starts_at"]), ends_at=_dt(row["ends_at"]), created_by=row["created_by"],
        rule=row["rule"], kind=row["kind"], group=row["group_id"], comment=row["comment"],
    )


def _push(row) -> Push:
    return Push(
        id=row["id"], prompt_key=row["prompt_key"], rule=row["rule"], kind=row["kind"], groups=tuple(json.loads(row["groups"])),
        staff_id=row["staff_id"], pushed_at=_dt(row["pushed_at"]), template=row["template"], message=row["message"],
    )


def _meta(conn: Connection, key: str) -> int | None:
    return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar_one_or_none()


def _silences_and_pushes(conn: Connection, now: datetime) -> tuple[tuple[Silence, ...], tuple[Push, ...]]:
    """Return the silences not yet over at `now` (and created by then) and every push made by `now`."""
    at = _ts(now)
    table = schema.prompt_silences
    silences = tuple(_silence(row) for row in conn.execute(
        select(table).where(table.c.ends_at > at, table.c.created_at <= at).order_by(table.c.starts_at, table.c.id)
    ).mappings())
    table = schema.prompt_pushes
    pushes = tuple(_push(row) for row in conn.execute(
        select(table).where(table.c.pushed_at <= at).order_by(table.c.pushed_at, table.c.id)
    ).mappings())
    return silences, pushes


def load_state(store: Store, now: datetime) -> PromptState:
    """Return the stored prompt state as of `now`: live and recently resolved instances, silences and pushes."""
    table = schema.prompt_instances
    recent = _ts(now - RESOLVED_RETENTION)
    with store.reading() as conn:
        rows = conn.execute(select(table).where(or_(table.c.state != RESOLVED, table.c.resolved_at >= recent))).mappings().all()
        silences, pushes = _silences_and_pushes(conn, now)
        evaluated = _meta(conn, PROMPTS_EVALUATED_AT)
    return PromptState(
        instances={row["key"]: _instance(row) for row in rows},
        silences=silences, pushes=pushes, evaluated_at=_dt(evaluated),
    )


def save_state(store: Store, previous: PromptState, new: PromptState) -> bool:
    """Write the instances that changed between two states (and the evaluation time); return whether screens would see a change."""
    changed = [instance for key, instance in new.instances.items() if previous.instances.get(key) != instance]
    # A pending instance whose condition cleared went back to inactive; a resolved one that aged
    # out of the state stays in the table as history.
    dropped = [key for key, instance in previous.instances.items() if key not in new.instances and instance.state != RESOLVED]

    def visible(instance: Instance | None) -> Instance | None:
        return replace(instance, last_true_at=instance.active_since) if instance else None

    seen = bool(dropped) or any(visible(previous.instances.get(i.key)) != visible(i) for i in changed)
    store.save_prompt_instances([_instance_row(instance) for instance in changed], dropped, _ts(new.evaluated_at), visible=seen)
    return seen


def prompts_seq(store: Store) -> int:
    """Return a counter that moves whenever the prompts the screens show may have changed (a cache key)."""
    return store.meta_value(PROMPTS_SEQ) or 0


# -- the evaluator -------------------------------------------------------------------------------


log = logging.getLogger(__name__)
EVALUATE_EVERY_SECONDS = 5.0


class PromptEvaluator:
    """The one evaluator beside the ingest: `tick(now)` loads the state, evaluates it and saves what changed."""

    def __init__(self, store: Store, config: EventConfig, clock: Clock | None = None,
                 on_firing: Callable[[list[Prompt], datetime], None] | None = None):
        self.store = store
        self.config = config
        # Told the firing prompts after each saved tick: the group robots' dispatcher (warroom.notify), which never blocks.
        self.on_firing = on_firing
        self.book = RuleBook.from_config(config)
        self.clock = clock or SystemClock()
        self._series: MinuteSeries | None = None
        self._series_seq: int | None = None

    def series(self) -> MinuteSeries:
        """Return the minute series, re-read from the rollups only when the ingest has written since."""
        with self.store.reading() as conn:
            seq = _meta(conn, "seq")
            if self._series is None or seq != self._series_seq:
                self._series, self._series_seq = load_series(conn, self.book), seq
        return self._series

    def evaluate(self, now: datetime | None = None) -> tuple[PromptState, PromptState]:
        """Return (stored state, state evaluated at `now`) without writing anything."""
        now = _whole_second(now or self.clock.now())
        previous = load_state(self.store, now)
        return previous, evaluate(self.book, signals_at(self.book, self.series(), now), now, previous)

    def tick(self, now: datetime | None = None) -> list[Prompt]:
        """Evaluate every rule at `now`, save the state, and return the firing prompts (suppressed ones too; see Prompt.active)."""
        previous, new = self.evaluate(now)
        save_state(self.store, previous, new)
        prompts = prompts_of(self.book, new, new.evaluated_at)
        if self.on_firing is not None:
            self.on_firing(prompts, new.evaluated_at)
        return prompts

    def peek(self, now: datetime | None = None) -> list[Prompt]:
        """Return the firing prompts at `now` from the stored state, without saving."""
        _previous, new = self.evaluate(now)
        return prompts_of(self.book, new, new.evaluated_at)


def run_evaluator(store: Store, config: EventConfig, stop: threading.Event, *, clock: Clock | None = None, every: float = EVALUATE_EVERY_SECONDS) -> None:
    """Tick one evaluator every `every` seconds until `stop` is set: the prompts' heartbeat beside the ingest."""
    from warroom.notify import Dispatcher

    # The event's [[notify]] group robots get each firing prompt once, sent on a thread of their own.
    notifier = Dispatcher(store, config) if config.notify else None
    evaluator = PromptEvaluator(store, config, clock=clock, on_firing=notifier.offer if notifier else None)
    if notifier:
        notifier.start()
    try:
        while True:
            try:
                evaluator.tick()
            except SQLAlchemyError as error:
                # A busy or briefly unreachable store must not stop the prompts: try again next tick.
                log.warning("prompt evaluation failed: %s", str(error).splitlines()[0])
            if stop.wait(every):
                return
    finally:
        if notifier:
            notifier.stop()


def prompts_at(store: Store, config: EventConfig, *, at: datetime | None = None, clock: Clock | None = None,
               states: Iterable[str] = (FIRING,)) -> tuple[datetime, list[Prompt]]:
    """Return (the moment, its prompts): from the stored state when an evaluator ran lately, else by replaying the minutes up to it.

    With `at`, always replay: the rules run over the whole minutes before `at` on the stored rollups,
    with the silences and pushes that had been made by then, so any past moment can be looked at.
    """
    book = RuleBook.from_config(config)
    moment = _whole_second(at or (clock or SystemClock()).now())
    if at is None:
        stored = load_state(store, moment)
        if stored.evaluated_at is not None and timedelta(0) <= moment - stored.evaluated_at <= STALE_AFTER:
            with store.reading() as conn:
                series = load_series(conn, book, minute_of(moment))
            state = evaluate(book, signals_at(book, series, moment), moment, stored)
            return moment, prompts_of(book, state, moment, states)
    with store.reading() as conn:
        series = load_series(conn, book, minute_of(moment))
        silences, pushes = _silences_and_pushes(conn, moment)
    state = replay(book, series, moment, start=max(config.event.start, moment - timedelta(hours=3)))
    state = replace(state, silences=silences, pushes=pushes)
    return moment, prompts_of(book, state, moment, states)


def list_prompts(store: Store, config: EventConfig, *, at: datetime, states: Iterable[str] = (FIRING,)) -> list[Prompt]:
    """Return the prompts the evaluator last stored, with the silences and pushes as of `at` (what every screen shows)."""
    return prompts_of(RuleBook.from_config(config), load_state(store, _whole_second(at)), _whole_second(at), states)


# -- what the pages write --------------------------------------------------------------------------


def acknowledge(store: Store, prompt_key: str, staff_id: str, *, at: datetime, groups: Sequence[str] | None = None,
                template: int | None = None, message: str | None = None) -> Push:
    """Record that `staff_id` pushed a prompt's message at `at` into `groups` (default: every group it targets); return the push.

    `template` is the index of the message pushed (default: the one the prompt suggests); `message`
    the text actually sent, when the operator edited it.
    """
    table = schema.prompt_instances
    with store.reading() as conn:
        row = conn.execute(select(table).where(table.c.key == prompt_key)).mappings().first()
    if row is None:
        raise KeyError(f"no prompt {prompt_key!r}")
    instance = _instance(row)
    messages = instance.content.messages
    chosen = suggested_template(prompt_key, len(messages)) if template is None else template
    if messages and not 0 <= chosen < len(messages):
        raise ValueError(f"template {chosen} out of range: the rule has {len(messages)}")
    push = Push(
        id=uuid.uuid4().hex, prompt_key=prompt_key, rule=instance.rule, kind=instance.kind,
        groups=tuple(instance.content.groups if groups is None else groups), staff_id=staff_id,
        pushed_at=_whole_second(at), template=chosen, message=message if message is not None else (messages[chosen] if messages else ""),
    )
    store.record_push({
        "id": push.id, "prompt_key": push.prompt_key, "rule": push.rule, "kind": push.kind, "template": push.template,
        "message": push.message, "groups": json.dumps(list(push.groups)), "staff_id": push.staff_id, "pushed_at": _ts(push.pushed_at),
    })
    return push


def silence(store: Store, *, minutes: float, created_by: str, at: datetime, rule: str | None = None, kind: str | None = None,
            group: str | None = None, comment: str = "") -> Silence:
    """Silence the prompts matching rule / kind / group (None: all) for `minutes` from `at`; return the silence."""
    if minutes <= 0:
        raise ValueError("a silence lasts a positive number of minutes")
    start = _whole_second(at)
    held = Silence(
        id=uuid.uuid4().hex[:12], starts_at=start, ends_at=start + timedelta(minutes=minutes), created_by=created_by,
        rule=rule, kind=kind, group=group, comment=comment,
    )
    store.add_silence({
        "id": held.id, "rule": rule, "kind": kind, "group_id": group, "starts_at": _ts(held.starts_at), "ends_at": _ts(held.ends_at),
        "created_by": created_by, "created_at": _ts(start), "comment": comment,
    })
    return held


def expire_silence(store: Store, silence_id: str, *, at: datetime) -> bool:
    """End a silence at `at`; return whether it was still running."""
    return store.end_silence(silence_id, _ts(_whole_second(at)))


def prompt_contents(store: Store, keys: Iterable[str]) -> dict[str, Content]:
    """Return the stored content (title, reason, values) of the prompts with these keys; a key never stored is left out."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    table = schema.prompt_instances
    with store.reading() as conn:
        rows = conn.execute(select(table.c.key, table.c.content).where(table.c.key.in_(wanted))).mappings().all()
    return {row["key"]: _content(row["content"]) for row in rows}


def active_silences(store: Store, *, at: datetime) -> list[Silence]:
    """Return the silences holding at `at` or set to start later."""
    with store.reading() as conn:
        return list(_silences_and_pushes(conn, _whole_second(at))[0])


# -- lift ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushLift:
    """What one push did: orders and check-ins in the minutes after it against the minutes before, targeted groups against the others."""

    push: Push
    minutes: int
    complete: bool  # the window after the push is over
    targeted: int  # groups pushed into
    others: int  # groups not pushed into (the control)
    orders_before: int
    orders_after: int
    others_orders_before: int
    others_orders_after: int
    checkins_before: int
    checkins_after: int
    others_checkins_before: int
    others_checkins_after: int

    def _extra(self, before: int, after: int, others_before: int, others_after: int) -> float:
        # Difference in differences: the targeted groups' change, less the change the other groups
        # saw over the same minutes, scaled to as many groups (a flash sale lifts every group).
        control = (others_after - others_before) * self.targeted / self.others if self.others else 0
        return float(round((after - before) - control, 2))

    @property
    def extra_orders(self) -> float:
        """Return the orders the push added beyond the other groups' trend."""
        return self._extra(self.orders_before, self.orders_after, self.others_orders_before, self.others_orders_after)

    @property
    def extra_checkins(self) -> float:
        """Return the check-ins the push added beyond the other groups' trend."""
        return self._extra(self.checkins_before, self.checkins_after, self.others_checkins_before, self.others_checkins_after)


@dataclass(frozen=True)
class LiftSummary:
    """Lift totalled over the pushes of one rule, template or staff member."""

    key: str  # a rule name, a template key (rule#index) or a staff id
    pushes: int
    groups: int  # group pushes: a push into 3 groups counts 3
    orders_before: int
    orders_after: int
    extra_orders: float
    extra_checkins: float

    @property
    def extra_orders_per_group(self) -> float:
        """Return the extra orders per group pushed into."""
        return round(self.extra_orders / self.groups, 2) if self.groups else 0.0


def _events_by_group(conn: Connection, table, conditions, low: int, high: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    query = select(table.c.group_id, table.c.ts).where(*conditions, table.c.group_id.is_not(None), table.c.ts >= low, table.c.ts < high)
    for group, ts in conn.execute(query):
        found[group].append(ts)
    for stamps in found.values():
        stamps.sort()
    return found


def _count(stamps: dict[str, list[int]], groups: Iterable[str], low: int, high: int) -> int:
    return sum(bisect_left(stamps.get(g, []), high) - bisect_left(stamps.get(g, []), low) for g in groups)


def lift(store: Store, config: EventConfig, *, at: datetime, minutes: int = LIFT_MINUTES) -> list[PushLift]:
    """Return the lift of every push made by `at`: N minutes after against N before, targeted groups against the others."""
    now = _ts(_whole_second(at))
    span = minutes * 60
    with store.reading() as conn:
        table = schema.prompt_pushes
        pushes = [_push(row) for row in conn.execute(select(table).where(table.c.pushed_at <= now).order_by(table.c.pushed_at, table.c.id)).mappings()]
        if not pushes:
            return []
        low, high = _ts(pushes[0].pushed_at) - span, min(_ts(pushes[-1].pushed_at) + span, now)
        orders = _events_by_group(conn, schema.orders, (schema.orders.c.status == "paid",), low, high)
        checkins = _events_by_group(conn, schema.checkins, (schema.checkins.c.kind.in_(COUNTED_KINDS),), low, high)
    universe = [group.id for group in config.groups] or sorted(set(orders) | set(checkins))
    lifts = []
    for push in pushes:
        t = _ts(push.pushed_at)
        end = min(t + span, now)
        targeted = list(push.groups) or universe
        others = [g for g in universe if g not in targeted]
        lifts.append(PushLift(
            push=push, minutes=minutes, complete=t + span <= now, targeted=len(targeted), others=len(others),
            orders_before=_count(orders, targeted, t - span, t), orders_after=_count(orders, targeted, t, end),
            others_orders_before=_count(orders, others, t - span, t), others_orders_after=_count(orders, others, t, end),
            checkins_before=_count(checkins, targeted, t - span, t), checkins_after=_count(checkins, targeted, t, end),
            others_checkins_before=_count(checkins, others, t - span, t), others_checkins_after=_count(checkins, others, t, end),
        ))
    return lifts


def lift_summary(lifts: Iterable[PushLift], by: str = "rule", *, complete_only: bool = True) -> list[LiftSummary]:
    """Return lift totalled by "rule", "template" or "staff", most extra orders first."""
    keys = {"rule": lambda p: p.rule, "template": lambda p: p.template_key, "staff": lambda p: p.staff_id}
    if by not in keys:
        raise ValueError(f"by one of {', '.join(keys)}, got {by!r}")
    grouped: dict[str, list[PushLift]] = defaultdict(list)
    for item in lifts:
        if item.complete or not complete_only:
            grouped[keys[by](item.push)].append(item)
    summaries = [
        LiftSummary(
            key=key, pushes=len(items), groups=sum(item.targeted for item in items),
            orders_before=sum(item.orders_before for item in items), orders_after=sum(item.orders_after for item in items),
            extra_orders=float(round(sum(item.extra_orders for item in items), 2)),
            extra_checkins=float(round(sum(item.extra_checkins for item in items), 2)),
        )
        for key, items in grouped.items()
    ]
    return sorted(summaries, key=lambda s: (-s.extra_orders, -s.extra_checkins, s.key))
