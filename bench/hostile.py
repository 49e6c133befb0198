"""Hostile feed lines (issue 15, SPEC §5) through `ingest --once` on SQLite and PostgreSQL: what each became.

    python bench/hostile.py [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--json]

Each case is one hostile line between two good ones, in a feed of its own; both stores must end
the same, with the two good rows counted. The table says, per case: counted, counted and noted
as repaired, or quarantined with its reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.runner import run_ingest  # noqa: E402
from warroom.clock import FixedClock  # noqa: E402
from warroom.config import load_event  # noqa: E402
from warroom.figures import LiveFigures, stats_json  # noqa: E402
from warroom.rules import LedgerRules  # noqa: E402
from warroom.store import Store  # noqa: E402

EVENT = """
[event]
name = "hostile"
start = "2026-05-20T19:00:00+08:00"
end = "2026-05-20T23:00:00+08:00"

[goals]
base = 10000
stretch = 15000

[[staff]]
id = "S01"
name = "小林"
role = "order_taker"

[[feeds]]
kind = "orders"
path = "orders.{suffix}"

[[feeds]]
kind = "checkins"
path = "checkins.jsonl"
"""
HEADER = "order_id,ts,amount,status,refund_amount,qty,customer_id,product,group_id\n"
GOOD_TS = "2026-05-20 21:00:00"


def csv_line(order_id: str = "X", *, ts: str = GOOD_TS, amount: str = "100", refund: str = "", qty: str = "1", product: str = "p", group: str = "G01") -> str:
    return f"{order_id},{ts},{amount},paid,{refund},{qty},c-{order_id},{product},{group}\n"


def json_line(**fields) -> str:
    return json.dumps({"order_id": "X", "ts": GOOD_TS, "amount": "100", "customer_id": "c-X"} | fields) + "\n"


# name → (the orders feed's suffix, the hostile bytes, a check-in line or None)
CASES: dict[str, tuple[str, bytes, str | None]] = {
    "17-digit amount 99999999999999999": ("csv", csv_line(amount="99999999999999999").encode(), None),
    "19-digit Douyin order id in the amount": ("csv", csv_line(amount="3729178325128384321").encode(), None),
    "17-digit qty": ("csv", csv_line(qty="99999999999999999").encode(), None),
    "17-digit refund": ("csv", csv_line(refund="99999999999999999").encode(), None),
    "5,000-digit amount": ("csv", csv_line(amount="9" * 5000).encode(), None),
    "40-digit amount with decimals": ("csv", csv_line(amount="1" * 40 + ".50").encode(), None),
    "amount NaN": ("csv", csv_line(amount="NaN").encode(), None),
    "amount inf": ("csv", csv_line(amount="inf").encode(), None),
    "amount -5": ("csv", csv_line(amount="-5").encode(), None),
    "amount exactly ¥100,000,000": ("csv", csv_line(amount="100000000").encode(), None),
    "qty 0": ("csv", csv_line(qty="0").encode(), None),
    "year 0001": ("csv", csv_line(ts="0001-01-01T00:00:00+08:00").encode(), None),
    "year 9999": ("csv", csv_line(ts="9999-12-31 23:59:59").encode(), None),
    "30 February": ("csv", csv_line(ts="2026-02-30 10:00:00").encode(), None),
    "offset +99:00": ("csv", csv_line(ts="2026-05-20T21:00:00+99:00").encode(), None),
    "NUL in a CSV cell": ("csv", csv_line(product="a\x00b").encode(), None),
    "C0 controls \\x01-\\x1f in a cell": ("csv", csv_line(product="x" + "".join(map(chr, range(1, 9))) + "".join(map(chr, range(11, 32)))).encode(), None),
    "NUL escaped in JSON (\\u0000)": ("jsonl", json_line(product="a\u0000b").encode(), None),
    "raw NUL inside a JSON string": ("jsonl", b'{"order_id": "X", "ts": "2026-05-20 21:00:00", "amount": "100", "product": "a\x00b"}\n', None),
    "lone surrogate in JSON (\\ud800)": ("jsonl", json_line(product="x\ud800y").encode(), None),
    "invalid UTF-8 bytes": ("csv", csv_line(product="p").encode().replace(b",p,", b",\xff\xfe,"), None),
    "a 300-character order id": ("csv", csv_line(order_id="A" * 300).encode(), None),
    "a 60 KB product name": ("csv", csv_line(product="长" * 20_000).encode(), None),
    "a 70 KB line": ("csv", csv_line(product="x" * 70_000).encode(), None),
    "stray quote inside a cell: O25\"x": ("csv", csv_line(order_id='O25"x').encode(), None),
    "quote opening a cell that never closes": ("csv", b'"O25,2026-05-20 21:00:00,100,paid,,1,c,p,G01\n', None),
    "HTML in group_id": ("csv", csv_line(group='<a href="https://example.com">领红包</a>').encode(), None),
    "markdown in the product": ("csv", csv_line(product="**bold** [link](https://x) $x$").encode(), None),
    "right-to-left override": ("csv", csv_line(product="\u202eabc").encode(), None),
    "emoji and CJK extension B": ("csv", csv_line(product="🧧𠀀").encode(), None),
    "JSON array, not an object": ("jsonl", b"[1, 2]\n", None),
    "JSON nested object value": ("jsonl", b'{"order_id": "X", "ts": "2026-05-20 21:00:00", "amount": {"v": 1}}\n', None),
    "JSON amount 1e400": ("jsonl", b'{"order_id": "X", "ts": "2026-05-20 21:00:00", "amount": 1e400}\n', None),
    "viewers 1e23 (JSON number)": ("csv", b"", '{"ts": "2026-05-20 21:00:00", "kind": "viewers", "value": 100000000000000000000000}\n'),
    "viewers \"1e23\" (text)": ("csv", b"", '{"ts": "2026-05-20 21:00:00", "kind": "viewers", "value": "1e23"}\n'),
    "viewers 100,000,001": ("csv", b"", '{"ts": "2026-05-20 21:00:00", "kind": "viewers", "value": 100000001}\n'),
    "check-in with a 5,000-digit value": ("csv", b"", '{"ts": "2026-05-20 21:00:00", "kind": "share", "customer_id": "c", "value": "' + "9" * 5000 + '"}\n'),
}


def run_case(folder: Path, url: str, suffix: str, hostile: bytes, checkin: str | None) -> dict:
    """Ingest one case's feeds --once into the store at `url`; return the good rows counted and what the hostile line became."""
    (folder / "event.toml").write_text(EVENT.format(suffix=suffix), encoding="utf-8")
    if suffix == "csv":
        good = [csv_line("G1").encode(), csv_line("G2").encode()]
        (folder / "orders.csv").write_bytes(HEADER.encode() + good[0] + hostile + good[1])
    else:
        good = [json_line(order_id="G1").encode(), json_line(order_id="G2").encode()]
        (folder / "orders.jsonl").write_bytes(good[0] + hostile + good[1])
    (folder / "checkins.jsonl").write_text(checkin or "", encoding="utf-8")
    config = load_event(folder / "event.toml")
    store = Store(url, LedgerRules.from_config(config))
    try:
        run_ingest(config, store, once=True)
        figures = stats_json(LiveFigures(store, config, clock=FixedClock(config.event.end)).refresh())
        quarantined = store.quarantined_rows()
    finally:
        store.close()
    others = figures["orders"] - 2 + sum(figures["checkins"].values())
    if any(not row["repaired"] for row in quarantined):
        became = "quarantined: " + "; ".join(row["reason"] for row in quarantined if not row["repaired"])
    elif quarantined:
        became = "counted, noted as repaired"
    else:
        became = "counted" if others or checkin is None or figures.get("checkins") else "nothing"
    return {"good_rows_counted": figures["orders"] >= 2, "counted": others, "became": became}


def fresh_pg_url(admin_url: str) -> tuple[str, str]:
    name = f"hostile_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    separator = "&" if "?" in admin_url else "?"
    return name, f"{admin_url}{separator}options={quote(f'-csearch_path={name}')}"


def drop_pg_schema(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results, differ = [], 0
    for name, (suffix, hostile, checkin) in CASES.items():
        with tempfile.TemporaryDirectory() as sqlite_dir, tempfile.TemporaryDirectory() as pg_dir:
            on_sqlite = run_case(Path(sqlite_dir), f"sqlite:///{Path(sqlite_dir) / 'w.db'}", suffix, hostile, checkin)
            schema, url = fresh_pg_url(args.pg_url)
            try:
                on_pg = run_case(Path(pg_dir), url, suffix, hostile, checkin)
            finally:
                drop_pg_schema(args.pg_url, schema)
        differ += on_sqlite != on_pg
        results.append({"input": name, "sqlite": on_sqlite, "postgresql": on_pg, "same": on_sqlite == on_pg})
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for result in results:
            mark = "" if result["same"] else f"   ≠ PostgreSQL: {result['postgresql']['became']}"
            good = "" if result["sqlite"]["good_rows_counted"] else "   (A GOOD ROW WAS LOST)"
            print(f"{result['input'][:44]:<44}  {result['sqlite']['became'][:110]}{mark}{good}")
    lost = sum(not result["sqlite"]["good_rows_counted"] or not result["postgresql"]["good_rows_counted"] for result in results)
    print(f"\n{len(results)} hostile inputs on SQLite and PostgreSQL: {differ} ended differently, {lost} lost a good row", file=sys.stderr)
    return 1 if differ or lost else 0


if __name__ == "__main__":
    sys.exit(main())
