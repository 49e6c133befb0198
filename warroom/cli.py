"""The command line (SPEC §3, §7): demo, ingest, serve, stats, check, prompts, quarantine, links, compare and plan."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from warroom.config import FIRST_YEAR, LAST_YEAR, ConfigError, EventConfig, load_event
from warroom.links import DEFAULT_PORT
from warroom.redact import safe_url
from warroom.runtime import (
    disk_full,
    disk_full_message,
    evaluator_thread,
    feed_files,
    feed_warnings,
    held_by_another_ingest,
    ingest,
    open_store,
    serve_command,
    stop_server,
)


def _stop_on_signals(stop: threading.Event) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from warroom.clock import default_clock

    config = load_event(args.config)
    store = open_store(config)
    if not held_by_another_ingest(store):
        # A refused ingest says only why it was refused (one line); the one that runs says what it cannot find yet.
        for warning in feed_warnings(config):
            print(warning, file=sys.stderr)
    stop = threading.Event()
    _stop_on_signals(stop)
    evaluator = None
    if not args.once:
        # One prompt evaluator runs beside the ingest, so every screen shows the same prompts.
        evaluator = evaluator_thread(store, config, stop, default_clock())
        evaluator.start()
    if args.once:
        # A backlog has an end: the bar runs over its bytes, with an ETA, and names the rows beside it.
        bar = tqdm(desc="ingest", total=0, unit="B", unit_scale=True, unit_divisor=1024, disable=None, file=sys.stderr)

        def on_batch(totals, _rows: int) -> None:
            bar.total = totals.backlog_bytes
            bar.set_postfix_str(f"{totals.orders:,} orders" + (f", {totals.checkins:,} check-ins" if totals.checkins else ""), refresh=False)
            bar.update(totals.backlog_read - bar.n)
    else:
        bar = tqdm(desc="ingest", unit=" rows", disable=None, file=sys.stderr)

        def on_batch(_totals, rows: int) -> None:
            bar.update(rows)

    with bar:
        try:
            totals = ingest(config, store, once=args.once, stop=stop, polling=args.polling, on_batch=on_batch)
        finally:
            stop.set()
            if evaluator:
                evaluator.join(timeout=10)
    repaired = f" ({totals.repaired} of them rows that count, with control characters removed)" if totals.repaired else ""
    print(f"ingested {totals.orders} order rows, {totals.checkins} check-in rows; {totals.quarantined} newly quarantined{repaired}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from warroom.clock import default_clock
    from warroom.figures import LiveFigures, stats_json

    config = load_event(args.config)
    snapshot = LiveFigures(open_store(config, read_only=True), config, clock=default_clock()).refresh()
    figures = stats_json(snapshot)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    print(f"{figures['event']}: revenue ¥{figures['revenue']:,.2f} from {figures['orders']} orders and {figures['paying_customers']} buyers")
    print(f"  base goal {figures['goals']['base_progress']:.1%}, stretch goal {figures['goals']['stretch_progress']:.1%}; refunds {figures['refunds']['orders']} (¥{figures['refunds']['amount']:,.2f}); quarantined rows {figures['quarantined']}"
          + (f" ({snapshot.repaired} of them repaired rows that count)" if snapshot.repaired else ""))
    for role, board in figures["leaderboards"].items():
        top = ", ".join(f"{row['rank']}. {row['name']} {row['value']:,}" for row in board[:3])
        print(f"  {role} by {board[0]['metric'] if board else '-'}: {top}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    config = load_event(args.config)
    problems = []
    for warning in feed_warnings(config):
        print(warning, file=sys.stderr)
    for feed, files in feed_files(config):
        if files:
            print(f"feed {feed.label}: {len(files)} file(s), {sum(f.stat().st_size for f in files):,} bytes")
    if config.intake is not None:
        print(f"intake: POST /api/v1/feeds/orders and /checkins (signed with [intake] secret), spooled to {config.folder / 'intake'}")
    try:
        store = open_store(config)
        print(f"store {safe_url(config.store_url)}: ok, {store.seq()} write(s) so far")
    except ConfigError as error:
        problems.append(str(error))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{config.source}: ok — {len(config.staff)} staff, {len(config.products)} products, {len(config.groups)} groups, {len(config.feeds)} feeds")
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    from warroom.i18n import mask_phone

    config = load_event(args.config)
    store = open_store(config, read_only=not args.release)
    if args.release:
        released = store.release_quarantine()
        forgotten = store.forget_checkpoints()
        print(f"released {released} quarantined row(s); the next ingest re-reads {forgotten} checkpointed file(s) (already stored rows are not counted twice)")
        return 0
    # Raw lines hold buyers' phone numbers: shown masked, as the pages show them.
    rows = [{key: mask_phone(value) if isinstance(value, str) else value for key, value in row.items()} for row in store.quarantined_rows()]
    if args.json:
        print(json.dumps([{k: row[k] for k in ("id", "feed", "position", "raw", "reason", "repaired")} for row in rows], ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        counted = " [repaired: the row counts]" if row["repaired"] else ""
        print(f"#{row['id']} {row['feed']} {row['position']}{counted}: {row['reason']}\n    {row['raw']}")
    print(f"{len(rows)} quarantined row(s). Fix the source, then run: warroom quarantine -c {args.config} --release && warroom ingest -c {args.config} --once")
    return 0


def _event_time(text: str, config: EventConfig):
    """Return an ISO time from the command line, in the event's timezone when it has no offset; refuse one outside 2000–2100."""
    from warroom.clock import parse_time

    expected = f"--at: expected a time in the years {FIRST_YEAR}–{LAST_YEAR} such as 2026-05-20T20:30:00+08:00, got {text!r}"
    try:
        moment = parse_time(text, config.event.tz)
    except ValueError:
        raise ConfigError(expected) from None
    # Years 1 and 9999 cannot even be moved to UTC (OverflowError): the years are checked as written.
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ConfigError(expected)
    return moment


def cmd_prompts(args: argparse.Namespace) -> int:
    from warroom.clock import default_clock
    from warroom.prompt_state import prompts_at
    from warroom.prompts import FIRING, PENDING, prompt_json

    config = load_event(args.config)
    at = _event_time(args.at, config) if args.at else None
    states = (FIRING, PENDING) if args.all else (FIRING,)
    moment, prompts = prompts_at(open_store(config, read_only=True), config, at=at, clock=default_clock(), states=states)
    if not args.all:
        prompts = [prompt for prompt in prompts if prompt.active]
    tz = config.event.tz
    if args.json:
        print(json.dumps({"event": config.event.name, "at": moment.astimezone(tz).isoformat(), "prompts": [prompt_json(p, tz) for p in prompts]}, ensure_ascii=False, indent=2))
        return 0
    print(f"{config.event.name} at {moment.astimezone(tz):%Y-%m-%d %H:%M}: {len(prompts)} prompt(s)")
    for prompt in prompts:
        held = f" [{', '.join(prompt.suppressed_by)}]" if prompt.suppressed_by else (" [pushed]" if prompt.done else "")
        print(f"- {prompt.urgency} {prompt.rule} ({prompt.state}){held}: {prompt.title}\n    why: {prompt.reason}\n    groups: {', '.join(prompt.groups) or '-'}\n    {prompt.message}")
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    from warroom.access import access_settings
    from warroom.links import app_secrets, base_url, event_links

    config = load_event(args.config)
    base = base_url(config, args.port)
    settings = access_settings(config, app_secrets())
    if base.warning:
        print(f"warroom: warning: {base.warning}", file=sys.stderr)
    if not settings.has_links:
        print("warroom: warning: no link can be made: set [access] link_secret in the event file (python -m warroom.access secret makes one)", file=sys.stderr)
    links = event_links(config, settings, base)
    if args.json:
        print(json.dumps(links.as_json(), ensure_ascii=False, indent=2))
        return 0
    # The links are made to be handed out (SPEC §5): printing them is their purpose.
    print(f"kiosk (the TV)  {links.kiosk or '-'}")
    for link in links.staff:
        print(f"{link.staff_id}  {link.name}  {link.url or '-'}")
    return 0


def _earlier_of(config: EventConfig, earlier_path: Path):
    """Return the earlier event's figures, from its own store (read-only), and the moment they are taken at."""
    from warroom.campaign_history import earlier_figures, history_label, load_earlier
    from warroom.clock import default_clock

    earlier = load_earlier(config, earlier_path)
    now = default_clock().now()
    return earlier_figures(earlier, now, history_label(config, earlier), this_url=config.store_url), now


def cmd_compare(args: argparse.Namespace) -> int:
    from warroom.campaign_report import compare_lines
    from warroom.compare import campaign_figures, compare, compare_json

    config = load_event(args.config)
    earlier, now = _earlier_of(config, args.earlier)
    store = open_store(config, read_only=True)
    try:
        comparison = compare(campaign_figures(store, config, now), earlier)
    finally:
        store.close()
    if args.json:
        print(json.dumps(compare_json(comparison), ensure_ascii=False, indent=2))
        return 0
    print("\n".join(compare_lines(comparison)))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from warroom.campaign_report import plan_lines
    from warroom.figures import LiveFigures
    from warroom.plan import membership, plan_from, plan_json

    config = load_event(args.config)
    earlier, now = _earlier_of(config, args.earlier)
    plan = plan_from(config, earlier)
    if args.json:
        # The plan needs only the new event's file and the earlier event's store: the new one may have no store yet.
        print(json.dumps(plan_json(plan), ensure_ascii=False, indent=2))
        return 0
    try:
        store = open_store(config, read_only=True)
    except ConfigError as error:
        print(f"warroom: the groups so far are not shown: {error}", file=sys.stderr)
        print("\n".join(plan_lines(plan, None)))
        return 0
    try:
        joined = LiveFigures(store, config).refresh(now).funnel.get("joined", 0)
        invites = store.checkins_by_staff("invite")
    finally:
        store.close()
    print("\n".join(plan_lines(plan, membership(plan, config, joined, invites))))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from warroom.links import base_url

    config = load_event(args.config)
    # The app opens the store itself: one that cannot be opened is one line here, not an error on every screen.
    open_store(config).close()
    base = base_url(config, args.port)
    command, env = serve_command(args.config, args.port)
    print(f"warroom: serving {args.config} at {base.url}", file=sys.stderr)
    if base.warning:
        print(f"warroom: warning: {base.warning}", file=sys.stderr)
    return _run_until_stopped(command, env)


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run the app server until it stops (its exit code) or this process is told to stop: Ctrl-C or SIGTERM, exit code 0.

    The server runs in a session of its own, so that a terminal's Ctrl-C reaches only this process, which
    stops the server with SIGTERM: the server's own Ctrl-C handler (click's) would print "Aborted!".
    """
    server = subprocess.Popen(command, env=env, start_new_session=True)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return server.wait()
    except KeyboardInterrupt:
        stop_server(server)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_demo(args: argparse.Namespace) -> int:
    from warroom.demo import run_demo
    from warroom.terminal import own_foreground_group

    # Under `make demo`, Ctrl-C is the demo's alone: make then exits with the demo's 0, not "Interrupt" and 130.
    with own_foreground_group():
        return run_demo(speed=args.speed, port=args.port, folder=args.dir)


def _speed(text: str) -> float:
    """Return a replay speed from the command line: a finite number above 0 and at most 10 000."""
    import math

    try:
        speed = float(text)
    except ValueError:
        speed = math.nan
    if not (0 < speed <= 10_000):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"expected a number of event seconds per wall second above 0 and at most 10000, got {text!r}")
    return speed


def _port(text: str) -> int:
    """Return a TCP port from the command line (1–65535)."""
    if not text.isdigit() or not 1 <= int(text) <= 65_535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `warroom` command."""
    parser = argparse.ArgumentParser(prog="warroom", description="A real-time war room for live-commerce sales teams.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("-c", "--config", required=True, type=Path, metavar="EVENT.toml", help="the event file")
        return sub

    demo = commands.add_parser("demo", help="replay the 520 sample event live and serve the app", description="Replay the 520 sample event live and serve the app.")
    demo.add_argument("--speed", type=_speed, default=20.0, help="event seconds per wall second (default 20: an evening in about ten minutes)")
    demo.add_argument("--port", type=_port, default=DEFAULT_PORT)
    demo.add_argument("--dir", type=Path, default=None, help="the working folder (default: a fresh temporary folder)")
    demo.set_defaults(run=cmd_demo)

    ingest = with_config("ingest", "tail every feed into the store until stopped")
    ingest.add_argument("--once", action="store_true", help="take in what is there now and exit")
    ingest.add_argument("--polling", action="store_true", help="poll instead of file events (network mounts)")
    ingest.set_defaults(run=cmd_ingest)

    serve = with_config("serve", "serve the app for this event")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT)
    serve.set_defaults(run=cmd_serve)

    stats = with_config("stats", "print the figures")
    stats.add_argument("--json", action="store_true", help="print SPEC §4 JSON")
    stats.set_defaults(run=cmd_stats)

    check = with_config("check", "validate the event file and the feeds")
    check.set_defaults(run=cmd_check)

    prompts = with_config("prompts", "print the flash-sale prompts firing now, or at --at (rule, kind, groups, message, reason)")
    prompts.add_argument("--at", metavar="ISO-TIME", help="replay the rules up to this moment (without an offset: the event's timezone)")
    prompts.add_argument("--json", action="store_true", help="print JSON")
    prompts.add_argument("--all", action="store_true", help="also pending, suppressed and already pushed prompts")
    prompts.set_defaults(run=cmd_prompts)

    compare = with_config("compare", "lay this event beside an earlier one: key figures, change, staff in both, flash sales")
    compare.add_argument("--with", dest="earlier", required=True, type=Path, metavar="EARLIER.toml", help="the earlier event's file (its store is read, never written)")
    compare.add_argument("--json", action="store_true", help="print SPEC §7 JSON")
    compare.set_defaults(run=cmd_compare)

    plan = with_config("plan", "work the new event's goal backwards (倒推) from an earlier event's figures")
    plan.add_argument("--from", dest="earlier", required=True, type=Path, metavar="EARLIER.toml", help="the earlier event's file (its store is read, never written)")
    plan.add_argument("--json", action="store_true", help="print SPEC §7 JSON")
    plan.set_defaults(run=cmd_plan)

    quarantine = with_config("quarantine", "list the quarantined rows, or release them for a re-read")
    quarantine.add_argument("--json", action="store_true")
    quarantine.add_argument("--release", action="store_true", help="forget the quarantined rows and the checkpoints so the next ingest re-reads the feeds")
    quarantine.set_defaults(run=cmd_quarantine)

    links = with_config("links", "print every staff member's personal link and the kiosk link, on [server] public_url (SPEC §7)")
    links.add_argument("--json", action="store_true", help='print {"kiosk": URL, "staff": [{"staff_id", "name", "url"}]}')
    links.add_argument("--port", type=_port, default=DEFAULT_PORT, help="the app's port, for links on this machine's LAN address (without public_url)")
    links.set_defaults(run=cmd_links)
    return parser


def _url_of(args: argparse.Namespace) -> str:
    """Return the store URL of the command's event file, for a message ("" when there is none)."""
    try:
        return load_event(args.config).store_url if getattr(args, "config", None) else ""
    except ConfigError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        print(f"warroom: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`warroom stats --json | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        # A full disk is the machine's trouble, not a bug: every batch commits with its checkpoints, so nothing is lost.
        if not disk_full(error):
            raise
        print(f"warroom: {disk_full_message(_url_of(args))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
