"""The HTTP intake and the health check (SPEC §6), over real HTTP to `warroom serve`, on SQLite and PostgreSQL.

Each answer of §6, a replayed body, a client that dies in mid-request, and hostile bodies whose
answers must agree with what `ingest --once` then counts and quarantines.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from tests.browser_support import free_port, wait_until
from tests.conftest import BACKENDS, ROOT, fresh_pg_schema_url
from tests.events import small_event, store, table
from warroom import intake
from warroom.config import load_event
from warroom.rules import LedgerRules
from warroom.runtime import ingest
from warroom.store import Store

SECRET = "intake-secret-for-tests-0123"
ORDER = {"order_id": "O-1", "ts": "2026-05-20T20:10:00+08:00", "amount": "199.00", "staff_id": "S01", "customer_id": "C1"}
CHECKIN = {"id": "K-1", "ts": "2026-05-20T20:11:00+08:00", "kind": "join_group", "customer_id": "C1", "group_id": "G01"}


def answer_json(raw: bytes) -> dict:
    """Return an answer's JSON, or {"text": …} for an answer that is not JSON (one the server's own middleware gave)."""
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"text": raw.decode(errors="replace")}


class Served:
    """`warroom serve` of an event with [intake], on a free port, with the event's folder and store URL."""

    def __init__(self, folder: Path, store_url: str):
        self.folder, self.store_url, self.port = folder, store_url, free_port()
        self.event = folder / "event.toml"
        self.event_text = small_event(store(store_url), table("[intake]", secret=SECRET))
        self.event.write_text(self.event_text, encoding="utf-8")
        self.log = (folder / "serve.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "warroom", "serve", "-c", str(self.event), "--port", str(self.port)],
                                        cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: self.process.poll() is not None or self.get("/api/v1/health")[0] == 200, timeout=120, what="warroom serve")
        assert self.process.poll() is None, (folder / "serve.log").read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
        """Return (status, JSON answer, headers) of one request."""
        call = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(call, timeout=60) as response:
                return response.status, answer_json(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, answer_json(error.read()), dict(error.headers)
        except OSError:
            return 0, {}, {}

    def get(self, path: str) -> tuple[int, dict]:
        status, answer, _headers = self.request("GET", path)
        return status, answer

    def post(self, kind: str, body: bytes, signature: str | None = "sign") -> tuple[int, dict, dict]:
        headers = {"Content-Type": "application/x-ndjson"}
        if signature == "sign":
            headers[intake.SIGNATURE_HEADER] = intake.sign(SECRET, body)
        elif signature is not None:
            headers[intake.SIGNATURE_HEADER] = signature
        return self.request("POST", f"/api/v1/feeds/{kind}", body, headers)

    def spool(self, kind: str) -> bytes:
        path = self.folder / intake.SPOOL_FOLDER / f"{kind}.jsonl"
        return path.read_bytes() if path.exists() else b""

    def open_store(self) -> Store:
        return Store(self.store_url, LedgerRules.from_config(load_event(self.event)))

    def ingest_once(self) -> None:
        config = load_event(self.event)
        opened = Store(self.store_url, LedgerRules.from_config(config))
        try:
            ingest(config, opened, once=True, stop=threading.Event())
        finally:
            opened.close()


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    """Yield `warroom serve` of an event with [intake] on each store, for the module."""
    with ExitStack() as stack:
        folder = tmp_path_factory.mktemp(f"intake-{request.param}")
        (folder / "feeds").mkdir()
        url = f"sqlite:///{folder / 'warroom.db'}" if request.param == "sqlite" else stack.enter_context(fresh_pg_schema_url())
        server = Served(folder, url)
        stack.callback(server.close)
        yield server


def lines(*rows: dict) -> bytes:
    return b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows)


def unique(row: dict, key: str) -> dict:
    return {**row, key: f"{row[key]}-{uuid.uuid4().hex[:12]}"}


# -- the answers of SPEC §6 -------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "row", "key"), [("orders", ORDER, "order_id"), ("checkins", CHECKIN, "id")])
def test_a_signed_body_is_answered_202_with_what_it_gave(served, kind, row, key):
    body = lines(unique(row, key), unique(row, key)) + b"not json\n\n"
    status, answer, _headers = served.post(kind, body)
    assert (status, answer) == (202, {"accepted": 2, "quarantined": 1}), (status, answer)


def test_a_202_comes_after_the_lines_are_in_the_spool(served):
    row = unique(ORDER, "order_id")
    status, _answer, _headers = served.post("orders", lines(row))
    assert (status, lines(row) in served.spool("orders")) == (202, True), served.spool("orders")[-300:]


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", intake.sign("another-secret-0123456789", lines(ORDER)),
     intake.sign(SECRET, lines(ORDER) + b" "), "sha256=" + "é" * 64],
    ids=["missing", "empty", "no hex", "zeros", "other algorithm", "other secret", "other body", "not hex"],
)
def test_a_missing_or_wrong_signature_is_401_and_writes_nothing(served, signature):
    before = served.spool("orders")
    status, answer, _headers = served.post("orders", lines(ORDER), signature=signature)
    assert (status, "error" in answer, served.spool("orders") == before) == (401, True, True), (status, answer)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=90))
def test_any_other_signature_header_is_401(served, header):
    before = served.spool("orders")
    status, _answer, _headers = served.post("orders", lines(ORDER), signature=header)
    assert (status, served.spool("orders") == before) == (401, True), (header, status)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.text(min_size=1, max_size=30).filter(lambda kind: kind not in intake.KINDS and kind.strip(".") != ""))
def test_any_other_kind_is_refused_and_writes_nothing(served, kind):
    from urllib.parse import quote

    before = {name: served.spool(name) for name in intake.KINDS}
    status, _answer, _headers = served.post(quote(kind, safe=""), lines(ORDER))
    # 404 from the route; for some paths (an encoded slash, say) the server's own routing answers first (308, 400, 405).
    assert (200 <= status < 300, {name: served.spool(name) for name in intake.KINDS} == before) == (False, True), (kind, status)


def test_the_signature_s_hex_may_be_upper_case(served):
    body = lines(unique(ORDER, "order_id"))
    status, _answer, _headers = served.post("orders", body, signature="sha256=" + intake.sign(SECRET, body).removeprefix("sha256=").upper())
    assert status == 202, status


@pytest.mark.parametrize("kind", ["refunds", "ORDERS", "orders.jsonl", "checkins%20", "%E8%AE%A2%E5%8D%95", "0"])
def test_an_unknown_kind_is_404(served, kind):
    status, _answer, _headers = served.post(kind, lines(ORDER))
    assert status == 404, (kind, status)


def test_without_intake_in_the_event_file_the_feeds_are_404(served):
    before = served.spool("orders")
    served.event.write_text(small_event(store(served.store_url)), encoding="utf-8")
    try:
        status, _answer, _headers = served.post("orders", lines(unique(ORDER, "order_id")))
    finally:
        served.event.write_text(served.event_text, encoding="utf-8")
    assert (status, served.spool("orders") == before) == (404, True), status


def test_while_the_event_file_does_not_load_the_feeds_are_503_and_write_nothing(served):
    before = served.spool("orders")
    served.event.write_text(served.event_text + "\n[goals]\nbase = 1\n", encoding="utf-8")  # a section twice: not valid TOML
    try:
        status, answer, _headers = served.post("orders", lines(unique(ORDER, "order_id")))
    finally:
        served.event.write_text(served.event_text, encoding="utf-8")
    assert (status, str(served.event) in json.dumps(answer), served.spool("orders") == before) == (503, False, True), (status, answer)


def raw_exchange(port: int, head: bytes, parts, *, close_early: bool = False) -> bytes:
    """Send a request's head and then its parts over a socket; return what the server answered (b"" when it answered nothing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(head)
        try:
            for part in parts:
                connection.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking the rest: that is the point
        if close_early:
            return b""
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and b"}" in answer:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


def test_a_body_declared_over_5_mb_is_413_before_it_is_sent(served):
    body_size = intake.MAX_BODY_BYTES + 1
    head = (f"POST /api/v1/feeds/orders HTTP/1.1\r\nHost: x\r\nContent-Length: {body_size}\r\n"
            f"{intake.SIGNATURE_HEADER}: sha256={'0' * 64}\r\n\r\n").encode()
    answer = raw_exchange(served.port, head, [])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_chunked_body_over_5_mb_is_413_while_it_streams(served):
    before = served.spool("orders")
    head = b"POST /api/v1/feeds/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    block = lines(ORDER) * (1024 * 1024 // len(lines(ORDER)))
    chunks = [f"{len(block):x}\r\n".encode() + block + b"\r\n" for _ in range(6)] + [b"0\r\n\r\n"]
    answer = raw_exchange(served.port, head, chunks)
    assert (answer.startswith(b"HTTP/1.1 413"), served.spool("orders") == before) == (True, True), answer[:200]


def test_a_body_of_exactly_5_mb_is_taken(served):
    filler = b" " * (intake.MAX_BODY_BYTES - len(lines(ORDER)))
    body = lines(unique(ORDER, "order_id")) + filler
    body = body[: intake.MAX_BODY_BYTES]
    status, answer, _headers = served.post("orders", body)
    assert (len(body), status, answer) == (intake.MAX_BODY_BYTES, 202, {"accepted": 1, "quarantined": 0}), (status, answer)


def test_a_client_killed_mid_request_leaves_nothing_partial_in_the_spool(served):
    before = served.spool("orders")
    body = lines(*(unique(ORDER, "order_id") for _ in range(200)))
    head = (f"POST /api/v1/feeds/orders HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            f"{intake.SIGNATURE_HEADER}: {intake.sign(SECRET, body)}\r\n\r\n").encode()
    raw_exchange(served.port, head, [body[: len(body) // 2]], close_early=True)
    after_kill = served.spool("orders")
    # The next whole body lands right after what was there: nothing of the half body in between.
    following = lines(unique(ORDER, "order_id"))
    status, _answer, _headers = served.post("orders", following)
    assert (after_kill == before, status, served.spool("orders") == before + following) == (True, 202, True), served.spool("orders")[len(before):][:300]


# -- replays --------------------------------------------------------------------------------------------


def test_a_replayed_body_adds_no_line_and_says_so(served):
    body = lines(unique(ORDER, "order_id"), unique(ORDER, "order_id"))
    first = served.post("orders", body)
    spooled = served.spool("orders")
    again = served.post("orders", body)
    checks = (first[0], first[1], again[0], again[1], again[2].get("idempotent-replayed"), served.spool("orders") == spooled)
    assert checks == (202, {"accepted": 2, "quarantined": 0}, 202, {"accepted": 0, "quarantined": 0, "replayed": True}, "true", True), checks


def test_a_replayed_body_counts_nothing_twice_in_the_store(served):
    row = unique(ORDER, "order_id")
    opened = served.open_store()
    try:
        served.ingest_once()
        before = opened.count("orders")
        for _ in range(3):
            served.post("orders", lines(row))
        served.ingest_once()
        added = opened.count("orders") - before
    finally:
        opened.close()
    assert added == 1, f"{added} orders from one body sent three times"


def test_the_same_body_as_the_other_kind_is_not_a_replay(served):
    body = lines(unique(CHECKIN, "id"))
    served.post("orders", body)
    status, answer, _headers = served.post("checkins", body)
    assert (status, answer) == (202, {"accepted": 1, "quarantined": 0}), answer


# -- the health check -----------------------------------------------------------------------------------


def test_health_says_the_store_is_ok_and_how_far_behind_it_is(served):
    served.post("orders", lines(unique(ORDER, "order_id")))
    served.ingest_once()
    status, answer = served.get("/api/v1/health")
    assert (status, sorted(answer), answer.get("store"), isinstance(answer.get("lag_seconds"), float)) == (
        200, ["lag_seconds", "store"], "ok", True), answer


def test_health_is_503_while_the_store_cannot_be_read_and_200_again_after(served):
    with unreadable_store(served):
        during = served.get("/api/v1/health")
    after = served.get("/api/v1/health")
    assert (during, after[0]) == ((503, {"store": "unavailable"}), 200), (during, after)


class unreadable_store:
    """While inside: the SQLite file is something else than a database, or the PostgreSQL schema has another name."""

    def __init__(self, served: Served):
        self.served = served

    def __enter__(self):
        if self.served.store_url.startswith("sqlite"):
            self.path = Path(self.served.store_url.removeprefix("sqlite:///"))
            self.kept = self.path.with_name("kept.db")
            os.rename(self.path, self.kept)
            self.path.write_bytes(b"this is not a database file " * 100)
        else:
            self.schema = self.served.store_url.rsplit("search_path%3D", 1)[1]
            self.engine = create_engine(self.served.store_url.split("?")[0])
            with self.engine.begin() as conn:
                conn.execute(text(f'ALTER SCHEMA "{self.schema}" RENAME TO "{self.schema}_away"'))
        return self

    def __exit__(self, *_exc):
        if self.served.store_url.startswith("sqlite"):
            os.replace(self.kept, self.path)
        else:
            with self.engine.begin() as conn:
                conn.execute(text(f'ALTER SCHEMA "{self.schema}_away" RENAME TO "{self.schema}"'))
            self.engine.dispose()


# -- hostile bodies: the answer agrees with what the ingest then counts -----------------------------------

HOSTILE_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=40) | st.sampled_from(
    ["\x00", "\u202e", "😀", "\\ud800", "' OR 1=1 --", "<script>", "x" * 300, "\t", "\r", "¥1,299.00", "1299元", "-0", "NaN", "1e400"]
)
HOSTILE_NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str), st.sampled_from(["100000000", "100000000.01", "1e2", "", " 12 "]),
)


@st.composite
def hostile_line(draw, kind: str) -> bytes:
    """Return one line: a row with a fresh id and hostile fields, or hostile bytes."""
    choice = draw(st.integers(0, 3))
    if choice == 3:
        # A token of its own, as the store keeps one quarantine record of a bad line however often it comes.
        return f"{uuid.uuid4().hex} ".encode() + draw(st.binary(max_size=60).filter(lambda raw: b"\n" not in raw))
    if kind == "orders":
        row = {"order_id": f"H-{uuid.uuid4().hex}", "ts": draw(st.sampled_from([ORDER["ts"], "2026-05-20 21:00:00", "1999-01-01T00:00:00+08:00", "later"])),
               "amount": draw(HOSTILE_NUMBER), "qty": draw(HOSTILE_NUMBER | st.just("1")), "product": draw(HOSTILE_TEXT),
               "customer_id": draw(HOSTILE_TEXT), "status": draw(st.sampled_from(["paid", "refunded", "已退款", "lost", ""]))}
    else:
        row = {"id": f"H-{uuid.uuid4().hex}", "ts": CHECKIN["ts"], "kind": draw(st.sampled_from(["join_group", "viewers", "share", "dance"])),
               "customer_id": draw(HOSTILE_TEXT), "value": draw(HOSTILE_NUMBER), "group_id": draw(HOSTILE_TEXT)}
    if choice == 2:
        row[draw(HOSTILE_TEXT.filter(lambda key: key not in row))] = draw(HOSTILE_TEXT)
    return json.dumps(row, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_bodies_are_counted_as_the_ingest_counts_them(served, data):
    kind = data.draw(st.sampled_from(intake.KINDS))
    body_lines = data.draw(st.lists(hostile_line(kind), min_size=1, max_size=12))
    separator = data.draw(st.sampled_from([b"\n", b"\r\n"]))
    body = separator.join(body_lines) + data.draw(st.sampled_from([b"", separator]))
    opened = served.open_store()
    try:
        served.ingest_once()
        table_name = "orders" if kind == "orders" else "checkins"
        rows_before = opened.count(table_name)
        set_aside_before = sum(1 for row in opened.quarantined_rows() if not row["repaired"])
        status, answer, _headers = served.post(kind, body)
        served.ingest_once()
        rows = opened.count(table_name) - rows_before
        set_aside = sum(1 for row in opened.quarantined_rows() if not row["repaired"]) - set_aside_before
    finally:
        opened.close()
    assert status == 202, (status, answer)
    assert (rows, set_aside) == (answer["accepted"], answer["quarantined"]), f"answered {answer}, the ingest counted {rows} and set aside {set_aside}: {body!r}"


# -- the spool itself (no server) ------------------------------------------------------------------------


def always(_kind: str, _line: bytes) -> bool:
    return True


def test_a_body_taken_before_a_restart_is_still_a_replay_after_it(tmp_path):
    body = lines(ORDER)
    intake.Spool(tmp_path, always).take("orders", body)
    again = intake.Spool(tmp_path, always).take("orders", body)
    assert again == intake.Taken(0, 0, replayed=True), again


def test_two_servers_of_one_event_see_each_other_s_bodies(tmp_path):
    first, second = intake.Spool(tmp_path, always), intake.Spool(tmp_path, always)
    first.take("orders", lines(ORDER))
    assert second.take("orders", lines(ORDER)).replayed, "the second spool took a body the first had taken"


def test_a_torn_line_left_by_a_crash_is_cut_off_before_the_next_body(tmp_path):
    spool = intake.Spool(tmp_path, always)
    spool.take("orders", lines(ORDER))
    with spool.path("orders").open("ab") as handle:
        handle.write(b'{"order_id": "O-torn", "ts"')  # a write that died before its answer
    following = lines(unique(ORDER, "order_id"))
    spool.take("orders", following)
    assert spool.path("orders").read_bytes() == lines(ORDER) + following, spool.path("orders").read_bytes()


@pytest.mark.parametrize(("body", "spooled"), [
    (b"\xef\xbb\xbf" + lines(ORDER), lines(ORDER)),
    (b'{"a": 1}\r\n\r\n  \n{"b": 2}', b'{"a": 1}\r\n{"b": 2}\n'),
    (b"", b""),
], ids=["byte-order mark", "blank lines and CRLF", "empty"])
def test_a_body_is_spooled_line_by_line_without_blank_lines(tmp_path, body, spooled):
    spool = intake.Spool(tmp_path, always)
    spool.take("orders", body)
    assert (spool.path("orders").read_bytes() if spool.path("orders").exists() else b"") == spooled


@pytest.mark.parametrize(("sections", "labels"), [((), []), ((table("[intake]", secret=SECRET),), ["intake:orders", "intake:checkins"])],
                         ids=["without [intake]", "with [intake]"])
def test_the_ingest_tails_the_spool_only_with_intake(tmp_path, sections, labels):
    event = tmp_path / "event.toml"
    event.write_text(small_event(*sections), encoding="utf-8")
    config = intake.with_spool_feeds(load_event(event))
    assert [feed.label for feed in config.feeds][2:] == labels, [feed.label for feed in config.feeds]


def test_a_running_ingest_takes_in_a_spool_that_appears_after_it_started(tmp_path, store_url):
    from connectors.intake_lines import line_reader

    (tmp_path / "feeds").mkdir()
    event = tmp_path / "event.toml"
    event.write_text(small_event(store(store_url), table("[intake]", secret=SECRET)), encoding="utf-8")
    config = load_event(event)
    opened = Store(store_url, LedgerRules.from_config(config))
    stop = threading.Event()
    running = threading.Thread(target=ingest, args=(config, opened), kwargs={"once": False, "stop": stop}, daemon=True)
    running.start()
    try:
        intake.Spool(tmp_path / intake.SPOOL_FOLDER, line_reader(config)).take("orders", lines(ORDER))
        found = wait_until(lambda: opened.count("orders") == 1, timeout=60, what="the spooled order in the store")
    finally:
        stop.set()
        running.join(timeout=30)
        opened.close()
    assert found, "the running ingest never read the spool"


@pytest.mark.parametrize(("sections", "says"), [((), False), ((table("[intake]", secret=SECRET),), True)], ids=["without", "with"])
def test_check_says_where_the_intake_spools_and_never_its_secret(tmp_path, sections, says):
    (tmp_path / "feeds").mkdir()
    event = tmp_path / "event.toml"
    event.write_text(small_event(*sections), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "warroom", "check", "-c", str(event)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    printed = result.stdout + result.stderr
    assert (result.returncode, "intake:" in printed, SECRET in printed) == (0, says, False), printed
