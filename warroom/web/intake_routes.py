"""The HTTP intake and the health check (SPEC §6) as Starlette routes on Streamlit's own server (app.py's st.App).

The rules are warroom.intake's; this module only speaks HTTP. Every answer is JSON, and none
names a path, a secret or an error's detail (SPEC §5): the detail goes to the server log.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.intake_lines import line_reader
from warroom import intake
from warroom.clock import default_clock
from warroom.config import ConfigError, EventConfig, load_event
from warroom.runtime import EVENT_ENV, open_store
from warroom.web.errors import redact_secrets
from warroom.web.session import store_file

log = logging.getLogger("warroom.intake")
FEEDS_ROUTE = "/api/v1/feeds/{kind}"
HEALTH_ROUTE = "/api/v1/health"


@dataclass
class _Event:
    """The served event as the routes need it: its config, its spool and (opened on the first health check) its store."""

    config: EventConfig
    spool: intake.Spool | None
    store: object | None = None
    store_file: tuple[int, int] | None = None  # the SQLite file's (device, inode) when the store was opened


_events: dict[tuple[str, int], _Event] = {}
_events_lock = threading.Lock()


def _event() -> _Event | None:
    """Return the event named by WARROOM_EVENT, loaded again when its file changed; None when there is none or it does not load."""
    raw = os.environ.get(EVENT_ENV, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    with _events_lock:
        if key not in _events:
            try:
                config = load_event(path)
            except ConfigError as error:
                log.error("the intake cannot load the event: %s", redact_secrets(str(error)))
                return None
            for old in _events.values():
                _close(old)
            _events.clear()
            spool = intake.Spool(config.folder / intake.SPOOL_FOLDER, line_reader(config)) if config.intake else None
            _events[key] = _Event(config, spool)
        return _events[key]


def _close(event: _Event) -> None:
    if event.store is not None:
        event.store.close()
        event.store = None


def _json(status: int, body: dict, **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **headers})


async def _feeds(request: Request) -> Response:
    """POST /api/v1/feeds/{orders|checkins}: a signed body of JSON Lines, spooled durably, answered 202 with what it gave."""
    kind = request.path_params["kind"]
    if kind not in intake.KINDS:
        return _json(404, {"error": "no such feed: orders or checkins"})
    event = _event()
    if event is None:
        # The event file cannot be loaded now (being edited, say): the sender should try again, not give up.
        return _json(503, {"error": "the event is not available; send the body again later"})
    if event.spool is None:
        return _json(404, {"error": "this event has no [intake]"})
    if intake.declared_too_large(request.headers.get("content-length")):
        return _json(413, {"error": f"the body is over {intake.MAX_BODY_BYTES} bytes"})
    try:
        body = await intake.read_limited(request.stream())
    except intake.BodyTooLarge:
        return _json(413, {"error": f"the body is over {intake.MAX_BODY_BYTES} bytes"})
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is left to read it; nothing was written
    if not intake.signature_ok(event.config.intake.secret, body, request.headers.get(intake.SIGNATURE_HEADER)):
        return _json(401, {"error": f"a missing or wrong {intake.SIGNATURE_HEADER} (sha256=HMAC-SHA256 of the body under [intake] secret)"})
    try:
        taken = await run_in_threadpool(event.spool.take, kind, body)
    except OSError as error:
        log.error("the intake spool could not be written: %s", error.strerror or error.__class__.__name__)
        return _json(503, {"error": "the intake spool could not be written; send the body again later"})
    return _json(202, taken.as_json(), **({"Idempotent-Replayed": "true"} if taken.replayed else {}))


def _lag(event: _Event) -> float | None:
    url = event.config.store_url
    if event.store is not None and store_file(url) != event.store_file:
        _close(event)  # the SQLite file was deleted or replaced: the check is of the store at its path, as the pages open it again
    if event.store is None:
        event.store_file = store_file(url)
        event.store = open_store(event.config, read_only=True)
    return intake.lag_seconds(event.store, default_clock().now())


async def _health(_request: Request) -> Response:
    """GET /api/v1/health: 200 {"store": "ok", "lag_seconds": …} while the store can be read, else 503."""
    event = _event()
    if event is None:
        return _json(503, {"store": "unavailable"})
    try:
        lag = await run_in_threadpool(_lag, event)
    except Exception as error:  # noqa: BLE001 - whatever keeps the store from being read, the answer is the same 503
        log.warning("health check: the store cannot be read: %s", redact_secrets(f"{error.__class__.__name__}: {str(error).splitlines()[0] if str(error) else ''}"))
        with _events_lock:
            _close(event)  # opened again on the next check: a replaced file, a restarted server
        return _json(503, {"store": "unavailable"})
    return _json(200, {"store": "ok", "lag_seconds": lag})


def intake_routes() -> list[Route]:
    """Return the intake's and the health check's routes, for st.App beside the sign-in cookie's."""
    return [Route(FEEDS_ROUTE, _feeds, methods=["POST"]), Route(HEALTH_ROUTE, _health, methods=["GET"])]
