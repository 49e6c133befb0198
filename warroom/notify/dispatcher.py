"""The dispatcher: firing prompts to each `[[notify]]` target at most once, within the platform's rate limit, on a thread of its own.

The evaluator hands it the prompts of each tick (`offer`, which never blocks: a full inbox drops the
offer, and the next tick offers the same prompts again). On its own thread the dispatcher (`step`):

1. writes a row (queued) for each firing of a prompt instance and target it has not seen: the intent,
   before any request; the store's key (prompt, fired at, target) makes it once per target;
2. per target, drops what waited too long (stale) and, past QUEUE_AT_MOST waiting, the least urgent;
3. while the target's token bucket has tokens (and it is not backing off), sends the most urgent
   waiting prompts one a message; when more wait than there are tokens, the last token carries up
   to MERGE_AT_MOST of them merged into one message (a queue formed while the limit held). Before the request the rows are marked sending, after it sent, merged,
   retry (refused for now: exponential backoff) or failed.

At most once: a row found `sending` at start was cut off mid-request and is marked unknown, and a
request cut off after it went out (a timeout, a reset) is not sent again; only a refusal the robot
answered, or a connection never made, is tried again. Every time here is the wall clock (`wall`,
injected): the platforms' limits and signatures are in real time, even when the demo's event clock runs fast.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import warroom.notify.dingtalk as dingtalk
import warroom.notify.feishu as feishu
import warroom.notify.transport as transport
import warroom.notify.webhook as webhook
import warroom.notify.wecom as wecom
from warroom.config import EventConfig, NotifyTarget
from warroom.notify.base import RateLimit, Request, Verdict
from warroom.notify.message import URGENCY_RANK, Notice, notice_of
from warroom.prompts import Prompt
from warroom.store import Store
from warroom.text import printable

log = logging.getLogger(__name__)

PLATFORMS = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu, "webhook": webhook}
MERGE_AT_MOST = 5  # prompts in one merged message
QUEUE_AT_MOST = 10  # prompts waiting for one target; beyond, the least urgent are dropped
STALE_AFTER_SECONDS = 10 * 60  # a prompt that waited this long is no use in a live show
FIRST_RETRY_SECONDS = 5
RETRY_CAP_SECONDS = 5 * 60
ATTEMPTS_AT_MOST = 6
IDLE_SECONDS = 1.0  # how often the thread looks again for refilled tokens and backoffs ended
INBOX_SIZE = 64


class TokenBucket:
    """A token bucket on an injected clock: `burst` tokens, refilled at `per_second`."""

    def __init__(self, rate: RateLimit, now: float, tokens: float | None = None):
        self.rate = rate
        self.tokens = float(rate.burst if tokens is None else max(0.0, min(tokens, rate.burst)))
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.rate.burst), self.tokens + (now - self.updated) * self.rate.per_second)
            self.updated = now

    def take(self, now: float) -> bool:
        """Take a token at `now`; return False (taking nothing) when there is none."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def scrub(text: str, target: NotifyTarget) -> str:
    """Return a line with the target's URL, its key and its secret replaced by ***, should a robot's answer or an error quote them."""
    url = target.url.get_secret_value()
    parts = urlsplit(url)
    pieces = [url, parts.path.rsplit("/", 1)[-1], *(value for _name, value in parse_qsl(parts.query))]
    if target.secret is not None:
        pieces.append(target.secret.get_secret_value())
    for piece in sorted((p for p in pieces if len(p) >= 4), key=len, reverse=True):
        text = text.replace(piece, "***")
    # One line, fit for both stores (PostgreSQL refuses NUL) and a log: control characters as escapes.
    return printable(" ".join(text.split()))[:300]


def _urgency_order(row: dict) -> tuple:
    return (URGENCY_RANK.get(row["urgency"], 9), row["fired_at"], row["prompt_key"])


def _key(row: dict) -> tuple[str, int, str]:
    return (row["prompt_key"], row["fired_at"], row["target"])


class Dispatcher:
    """Sends firing prompts to the event's `[[notify]]` targets: `offer` from the evaluator, `step` (or `start`, a thread) to send."""

    def __init__(self, store: Store, config: EventConfig, *, wall: Callable[[], float] = time.time,
                 post: Callable[[Request], tuple[int, bytes]] = transport.post):
        self.store = store
        self.config = config
        self.targets = {target.target_id: target for target in config.notify}
        self.wall = wall
        self.post = post
        self._inbox: list[tuple[tuple[Prompt, ...], datetime]] = []
        self._inbox_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._known: set[tuple[str, int, str]] | None = None
        self._buckets: dict[str, TokenBucket] = {}
        self._not_before: dict[str, float] = {}
        self._event_now: int | None = None

    # -- the evaluator's side ------------------------------------------------------------------------

    def offer(self, prompts: Iterable[Prompt], at: datetime) -> None:
        """Hand over the firing prompts of an evaluation at `at` (event time); never blocks, never raises."""
        with self._inbox_lock:
            if len(self._inbox) < INBOX_SIZE:
                self._inbox.append((tuple(prompts), at))
        self._wake.set()

    # -- the thread ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start sending on a daemon thread of its own."""
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = transport.TIMEOUT_SECONDS + 1) -> None:
        """Stop the thread, waiting at most `timeout` seconds for a request under way."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as error:  # noqa: BLE001 - a store or robot failure must not end the prompts: try again next round
                log.warning("sending prompts to group robots failed: %s: %s", type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "")
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()

    # -- one round -----------------------------------------------------------------------------------

    def step(self) -> int:
        """Queue the prompts offered since the last round, then send what each target may send now; return how many requests went out."""
        if self._known is None:
            self._begin()
        with self._inbox_lock:
            offers, self._inbox = self._inbox, []
        for prompts, at in offers:
            self._queue(prompts, at)
        now = self.wall()
        waiting: dict[str, list[dict]] = {}
        for row in self.store.waiting_notifications():
            waiting.setdefault(row["target"], []).append(row)
        return sum(self._send_due(self.targets[target], rows, now) for target, rows in waiting.items() if target in self.targets)

    def _begin(self) -> None:
        now = int(self.wall())
        abandoned = self.store.abandon_interrupted_notifications(at=now)
        if abandoned:
            log.warning("%d prompt(s) were being sent when the last run stopped: not sent again (at most once per group robot)", abandoned)
        for target_id, target in self.targets.items():
            self.store.register_notify_target(target_id, target.kind, target.masked_url)
        self._known = self.store.notification_keys(self.targets)

    def _queue(self, prompts: tuple[Prompt, ...], at: datetime) -> None:
        assert self._known is not None
        self._event_now = int(at.timestamp())
        now = int(self.wall())
        rows = []
        for prompt in prompts:
            if not prompt.active or prompt.fired_at is None:
                continue
            notice: Notice | None = None
            for target_id, target in self.targets.items():
                key = (prompt.key, int(prompt.fired_at.timestamp()), target_id)
                if key in self._known or not target.wants(prompt.rule, prompt.kind, prompt.urgency):
                    continue
                notice = notice or notice_of(prompt, self.config)
                rows.append({"prompt_key": key[0], "fired_at": key[1], "target": target_id, "rule": prompt.rule, "urgency": prompt.urgency,
                             "queued_at": now, "updated_at": now, "payload": notice.to_json()})
                self._known.add(key)
        self.store.queue_notifications(rows)

    def _bucket(self, target_id: str, target: NotifyTarget, now: float) -> TokenBucket:
        bucket = self._buckets.get(target_id)
        if bucket is None:
            rate = PLATFORMS[target.kind].RATE
            # A restart within a minute of the last requests must not spend the platform's minute twice.
            spent = self.store.notification_attempts_since(target_id, int(now) - 60)
            # In any minute: the `spent` already gone, this start, and a minute's refill (per_minute - burst).
            bucket = self._buckets[target_id] = TokenBucket(rate, now, tokens=rate.burst - spent)
        return bucket

    def _send_due(self, target: NotifyTarget, rows: list[dict], now: float) -> int:
        target_id = target.target_id
        stale = [row for row in rows if now - row["queued_at"] > STALE_AFTER_SECONDS or self._expired(row)]
        if stale:
            self.store.mark_notifications(map(_key, stale), "dropped", at=int(now), detail="stale: waited too long, or its moment has passed")
        rows = sorted((row for row in rows if row not in stale), key=_urgency_order)
        if len(rows) > QUEUE_AT_MOST:
            over = rows[QUEUE_AT_MOST:]
            detail = f"over the rate limit: {len(rows)} prompts waited for this robot; the least urgent were dropped"
            self.store.mark_notifications(map(_key, over), "dropped", at=int(now), detail=detail)
            log.warning("group robot %s (%s): %s", target_id, target.masked_url, detail)
            rows = rows[:QUEUE_AT_MOST]
        due = [row for row in rows if (row["next_attempt_at"] or 0) <= now]
        if not due or now < self._not_before.get(target_id, 0):
            return 0
        bucket = self._bucket(target_id, target, now)
        requests = 0
        while due and bucket.take(now):
            # One prompt a message while tokens last; the last token of the moment carries the rest of the queue, merged.
            chosen = due[:1] if bucket.tokens >= 1 or len(due) == 1 else due[:MERGE_AT_MOST]
            due = due[len(chosen):]
            requests += 1
            if not self._send(target, chosen, now):
                break
        return requests

    def _send(self, target: NotifyTarget, chosen: list[dict], now: float) -> bool:
        """Send one message of these rows; return whether the robot took it."""
        keys = [_key(row) for row in chosen]
        attempts = max(row["attempts"] for row in chosen) + 1
        self.store.mark_notifications(keys, "sending", at=int(now), attempt=True)
        platform = PLATFORMS[target.kind]
        try:
            status, body = self.post(platform.build(target, [Notice.from_json(row["payload"]) for row in chosen], now))
            verdict: Verdict = platform.judge(status, body)
        except transport.NotSent as error:
            verdict = Verdict(ok=False, retry=True, detail=f"not sent: {error}")
        except transport.Ambiguous as error:
            detail = scrub(f"cut off after it was sent, not sent again (at most once): {error}", target)
            self.store.mark_notifications(keys, "unknown", at=int(now), detail=detail)
            self._note(target, now, detail)
            return False
        self._settle(target, keys, verdict, attempts, now)
        return verdict.ok

    def _settle(self, target: NotifyTarget, keys: list[tuple[str, int, str]], verdict: Verdict, attempts: int, now: float) -> None:
        if verdict.ok:
            first, *merged = keys
            self.store.mark_notifications([first], "sent", at=int(now), detail=f"with {len(merged)} more in one message" if merged else "")
            if merged:
                self.store.mark_notifications(merged, "merged", at=int(now), detail=f"sent in one message with {first[0]}")
            self.store.note_notify_outcome(target.target_id, at=int(now), error=None)
            return
        detail = scrub(verdict.detail, target)
        if verdict.retry and attempts < ATTEMPTS_AT_MOST:
            backoff = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS)
            self._not_before[target.target_id] = now + backoff
            self.store.mark_notifications(keys, "retry", at=int(now), detail=detail, next_attempt_at=int(now + backoff))
        else:
            self.store.mark_notifications(keys, "failed", at=int(now), detail=detail)
        self._note(target, now, detail)

    def _note(self, target: NotifyTarget, now: float, detail: str) -> None:
        self.store.note_notify_outcome(target.target_id, at=int(now), error=detail)
        log.warning("group robot %s (%s): %s", target.target_id, target.masked_url, detail)

    def _expired(self, row: dict) -> bool:
        expires_at = Notice.from_json(row["payload"]).expires_at
        return expires_at is not None and self._event_now is not None and self._event_now >= expires_at
