"""The mixed load of a real evening, for bench/viewers.py --mix: the 520 team's phones, the TVs, the leads and the boss.

    python bench/viewers.py --mix [--replicas N [--replica-cpu F]] [--scale K] [--minutes M | --soak-minutes M] [--speed 20]

`warroom demo` replays the 520 sample; with `--replicas N` its store is a fresh PostgreSQL schema
(WARROOM_DB_URL, from WARROOM_TEST_PG_URL) and N `warroom serve` replicas of the demo's event file
serve it behind Debian's nginx with deploy/nginx.conf (tests/replica_support.py), every viewer going
through the proxy; without it, the demo's own app server on SQLite serves them. `--replica-cpu F`
caps each replica at F of one core (bench/cpu_quota.py), so that one replica and two are weighed on
this machine with the bench, the ingest and PostgreSQL beside them. Every viewer speaks
Streamlit's WebSocket protocol (bench/streamlit_socket.py), K times over:

- 34 phones: a staff member's personal link (the ranking page), each with its own member;
- 4 TVs: the kiosk link (the big screen);
- 3 leads on the prompts page, signed in by the session cookie a password sign-in writes;
- 1 boss on the review, signed in the same way, opening it again every REVIEW_EVERY seconds.

A few times a second, at random moments, it samples how far behind the server's event clock each screen is (what it shows: the
big screen's and the phone's "updated" time, the prompts page's status time; +1 s as they show whole
seconds), as bench/viewers.py does for the TVs; and, each second, from the server's processes, CPU and RSS. It
prints a row a minute and, at the end, per kind of screen the lag's p50, p95 and max, and the time
from each refresh a screen asked for to the end of its run (the delay the server adds).
"""

from __future__ import annotations

import html
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.streamlit_socket import SocketSwarm, SocketViewer, big_screen_shown

MIX = {"phone": 34, "tv": 4, "lead": 3, "boss": 1}
REVIEW_EVERY = 60.0  # seconds between the boss's looks at the review
SAMPLE_SECONDS = (0.1, 0.4)  # the lag is read after a random pause in this range
_PHONE = re.compile(r'class="wp-who">.*?class="wp-muted">([^<]*)<', re.S)
_STATUS = re.compile(r'class="wb wb-muted"[^>]*>(\d{1,2}:\d{2}:\d{2}) ')


def phone_shown(body: str) -> list[tuple[str, str]]:
    """Return the personal page's "updated" time, when this element is its ranking card (a member of the hype squad or community ops lands on the prompts page)."""
    found = _PHONE.search(body)
    return [("board", html.unescape(found.group(1)).strip())] if found else prompts_shown(body)


def prompts_shown(body: str) -> list[tuple[str, str]]:
    """Return the prompts page's status time (the moment its list was last drawn)."""
    found = _STATUS.search(body)
    return [("board", found.group(1))] if found else []


def session_cookie(role: str) -> str:
    """Return the Cookie header of a lead or a boss signed in with the password (the demo's access settings)."""
    from tests.browser_support import demo_access
    from warroom import access

    _config, settings = demo_access()
    token = access.session_token(settings, access.Viewer(role=role, via="password"), datetime.now(UTC))
    return f"{access.SESSION_COOKIE}={token}"


def mix_counts(scale: float) -> dict[str, int]:
    """Return how many screens of each kind `scale` times the mix holds (at least one of each)."""
    return {kind: max(1, round(count * scale)) for kind, count in MIX.items()}


def make_viewers(base_url: str, scale: float) -> list[tuple[str, SocketViewer]]:
    """Return the mix's socket viewers, each with its kind."""
    from tests.browser_support import demo_access, kiosk_query, staff_query

    config, _settings = demo_access()
    staff = [member.id for member in config.staff]
    counts = mix_counts(scale)
    viewers: list[tuple[str, SocketViewer]] = []
    for index in range(counts["phone"]):
        viewers.append(("phone", SocketViewer(base_url, staff_query(staff[index % len(staff)]), reads=phone_shown, ready_keys=("board",))))
    viewers += [("tv", SocketViewer(base_url, kiosk_query(), reads=big_screen_shown)) for _ in range(counts["tv"])]
    viewers += [("lead", SocketViewer(base_url, {}, page="prompts", reads=prompts_shown, ready_keys=("board",), cookie=session_cookie("lead")))
                for _ in range(counts["lead"])]
    # The review: ready once its first run has finished; its time is that of each look (a whole run).
    viewers += [("boss", SocketViewer(base_url, {}, page="review", reads=lambda _body: [], ready_keys=(), cookie=session_cookie("boss"),
                                      reload_every=REVIEW_EVERY)) for _ in range(counts["boss"])]
    return viewers


@dataclass
class Servers:
    """The processes that serve the mix: the demo's app server, or the replicas (and nginx)."""

    pids: list[int]
    ticks: dict[int, int] = field(default_factory=dict)
    cpu: list[float] = field(default_factory=list)  # per second: CPU seconds of all of them together
    rss: list[list[float]] = field(default_factory=list)  # per second: each one's RSS, MB

    def sample(self) -> None:
        from bench.viewers import cpu_ticks, rss_mb

        used = 0
        for pid in self.pids:
            now = cpu_ticks(pid)
            if now is not None:
                used += now - self.ticks.get(pid, now)
                self.ticks[pid] = now
        self.cpu.append(used / os.sysconf("SC_CLK_TCK"))
        self.rss.append([rss_mb(pid) or 0.0 for pid in self.pids])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def lag_now(shown: str | None, key: str, clock, server_now: datetime) -> float | None:
    """Return how far behind the server's event clock a shown time is, in wall seconds (None when nothing readable is shown)."""
    from bench.viewers import shown_time

    moment = shown_time(key, shown, server_now)
    if moment is None:
        return None
    passed = clock.passed(moment + timedelta(seconds=1))
    return max(0.0, time.time() - passed) if passed is not None else 0.0


def start_replicas(demo, count: int, folder: Path, store_url: str, quotas: list | None = None) -> tuple[list, object]:
    """Start `count` `warroom serve` replicas of the demo's event on its store and nginx in front; return them.

    With `quotas` (bench.cpu_quota.CpuQuota, one per replica), each replica runs inside its own.
    """
    from tests.browser_support import free_port, port_open, wait_until
    from tests.replica_support import Nginx
    from tests.scenes import Scene
    from warroom.clock import REPLAY_CLOCK_ENV
    from warroom.config.sections import DB_URL_ENV
    from warroom.runtime import serve_command

    replicas = []
    for _ in range(count):
        replica = Scene(demo.folder, free_port())
        # As Scene.start, with the demo's running replay clock and its store.
        command, env = serve_command(demo.folder / "event.toml", replica.port, {REPLAY_CLOCK_ENV: str(demo.folder / "replay_clock.json"), DB_URL_ENV: store_url})
        log = (folder / f"replica-{replica.port}.log").open("wb")
        replica.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if quotas:
            quotas[len(replicas)].add(replica.process.pid)
        replicas.append(replica)
    for replica in replicas:
        wait_until(lambda replica=replica: port_open(replica.port), timeout=120, what=f"replica on port {replica.port}")
    proxy = Nginx(folder / "nginx", free_port(), [replica.port for replica in replicas]).start(timeout=120)
    return replicas, proxy


def run_mix(args) -> int:
    """Run the mixed load; return 0, or 1 when a screen died."""
    from bench.viewers import ServerClock, load_average, machine_ticks
    from tests.browser_support import DemoProcess, free_port

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="warroom-mix-"))
    minutes = args.soak_minutes or args.minutes
    pg = None
    store_url = None
    if args.replicas:
        from tests.conftest import fresh_pg_schema_url

        pg = fresh_pg_schema_url()
        store_url = pg.__enter__()
        os.environ["WARROOM_DB_URL"] = store_url  # the demo's ingest and replay write to it
    quotas = []
    if args.replica_cpu:
        if not args.replicas:
            raise SystemExit("--replica-cpu caps replicas: give --replicas N too")
        from bench.cpu_quota import CpuQuota, CpuQuotaError

        try:
            quotas = [CpuQuota(f"warroom-replica-{index + 1}", args.replica_cpu).__enter__() for index in range(args.replicas)]
        except (CpuQuotaError, ValueError) as error:
            for quota in quotas:
                quota.__exit__(None, None, None)
            raise SystemExit(str(error)) from None
    demo = DemoProcess(folder / "demo", port=args.port or free_port(), speed=args.speed, log=folder / "demo.log").start()
    replicas, proxy, swarm = [], None, None
    clock = ServerClock(demo)
    exit_code = 0
    try:
        demo.wait_ready(timeout=180)
        if args.replicas:
            replicas, proxy = start_replicas(demo, args.replicas, folder, store_url, quotas)
            base_url, pids = proxy.base_url, [replica.process.pid for replica in replicas]
        else:
            base_url, pids = demo.base_url, [demo.server_pid()]
        clock.start()
        viewers = make_viewers(base_url, args.scale)
        kinds = sorted({kind for kind, _viewer in viewers})
        print(f"mixed load: {', '.join(f'{sum(1 for k, _ in viewers if k == kind)} {kind}' for kind in kinds)} on {base_url} "
              f"({f'{args.replicas} replica(s) on PostgreSQL behind nginx' if args.replicas else 'the demo app on SQLite'}"
              f"{f', each capped at {args.replica_cpu:g} of a core' if quotas else ''}), "
              f"warroom demo --speed {args.speed:g}, {minutes:g} min; {os.cpu_count()} CPUs", flush=True)
        swarm = SocketSwarm([viewer for _kind, viewer in viewers])
        swarm.start()
        ramp = time.monotonic()
        swarm.wait_ready(args.ramp_timeout)
        print(f"ramp-up: every screen shows its page after {time.monotonic() - ramp:.1f} s; settling {args.settle:g} s (not measured)", flush=True)
        time.sleep(args.settle)
        servers = Servers(pids)
        servers.sample()
        servers.cpu.clear()
        servers.rss.clear()
        lags: dict[str, list[float]] = {kind: [] for kind in kinds if kind != "boss"}
        minute_lags: dict[str, list[float]] = {kind: [] for kind in lags}
        start = time.time()
        received_at_start = {id(viewer): viewer.received_bytes for _kind, viewer in viewers}
        busy_start, load_max = machine_ticks(), 0.0
        machine_at_start, load_peak = busy_start, 0.0
        print(f"{'min':>3}  {'CPU% (all servers)':>18}  {'RSS MB each':>14}  {'machine busy%':>13}  {'load1':>5}  " + "  ".join(f"{kind + ' p95 lag s':>16}" for kind in lags), flush=True)
        minute = 0
        rss_first = None
        next_resources = time.time() + 1.0
        while time.time() < start + minutes * 60:
            # At random moments, a few a second: every screen refreshes on the same one-second beat, and a
            # sampler on that beat would read the same point of it all run long (the lag's best or its worst).
            time.sleep(random.uniform(*SAMPLE_SECONDS))
            if time.time() >= next_resources:
                next_resources += 1.0
                servers.sample()
            load_max = max(load_max, load_average())
            load_peak = max(load_peak, load_max)
            server_now = clock.now()
            for kind, viewer in viewers:
                if kind in lags and server_now is not None and not viewer.dead:
                    with viewer.lock:
                        shown = viewer.shown.get("board")
                    value = lag_now(shown, "board", clock, server_now)
                    if value is not None:
                        lags[kind].append(value)
                        minute_lags[kind].append(value)
            if time.time() >= start + 60 * (minute + 1):
                minute += 1
                busy_now = machine_ticks()
                busy = 100 * (busy_now[0] - busy_start[0]) / max(1, busy_now[1] - busy_start[1])
                busy_start = busy_now
                cpu = 100 * sum(servers.cpu[-60:]) / 60
                rss = servers.rss[-1]
                rss_first = rss_first or rss
                print(f"{minute:>3}  {cpu:>18.0f}  {'/'.join(f'{value:.0f}' for value in rss):>14}  {busy:>13.0f}  {load_max:>5.1f}  "
                      + "  ".join(f"{percentile(values, 0.95):>16.1f}" for values in minute_lags.values()), flush=True)
                minute_lags = {kind: [] for kind in lags}
                load_max = 0.0
        dead = [f"{kind}: {viewer.dead}" for kind, viewer in viewers if viewer.dead]
        print("lag behind the event clock (every screen, at random moments), s:")
        for kind, values in lags.items():
            print(f"  {kind:>5}: p50 {percentile(values, 0.5):.1f}  p95 {percentile(values, 0.95):.1f}  max {max(values, default=0):.1f}  ({len(values)} samples)")
        every = [value for values in lags.values() for value in values]
        print(f"  {'all':>5}: p50 {percentile(every, 0.5):.1f}  p95 {percentile(every, 0.95):.1f}  max {max(every, default=0):.1f}")
        print("from a refresh asked for to the end of its run (the server's delay), s:")
        for kind in kinds:
            runs = [finished - asked for k, viewer in viewers if k == kind for _f, asked, _s, finished in viewer.reruns.done if asked >= start]
            print(f"  {kind:>5}: p50 {percentile(runs, 0.5):.2f}  p95 {percentile(runs, 0.95):.2f}  max {max(runs, default=0):.2f}  ({len(runs)} runs)")
        elapsed_minutes = max(1e-9, (time.time() - start) / 60)
        print("sent to each screen (the WebSocket's payload; a phone's mobile data), KB a minute:")
        for kind in kinds:
            sent = [(viewer.received_bytes - received_at_start[id(viewer)]) / 1024 / elapsed_minutes for k, viewer in viewers if k == kind]
            print(f"  {kind:>5}: mean {sum(sent) / max(1, len(sent)):.0f}  max {max(sent, default=0):.0f}")
        cpu = [100 * value for value in servers.cpu]
        totals = [sum(each) for each in servers.rss]
        print(f"servers' CPU: mean {sum(cpu) / max(1, len(cpu)):.0f} % (100 % = one core); RSS of all together {totals[0] if totals else 0:.0f} MB "
              f"at the start, {totals[-1] if totals else 0:.0f} MB at the end ({100 * (totals[-1] / totals[0] - 1) if totals and totals[0] else 0:+.1f} %), "
              f"peak {max(totals, default=0):.0f} MB")
        if quotas:
            print(f"  held back by the CPU cap: {', '.join(f'{quota.throttled_seconds():.0f} s' for quota in quotas)} (each replica, whole run)")
        busy_all = machine_ticks()
        print(f"machine: {100 * (busy_all[0] - machine_at_start[0]) / max(1, busy_all[1] - machine_at_start[1]):.0f} % busy over the hold (both cores), load1 peak {load_peak:.1f}")
        for line in dead:
            print(f"  dead: {line}")
        exit_code = 1 if dead else 0
    finally:
        clock.stop.set()
        if swarm is not None and swarm.is_alive():
            swarm.close()
        if proxy is not None:
            proxy.close()
        for replica in replicas:
            replica.close()
        for quota in quotas:
            quota.__exit__(None, None, None)
        demo.close()
        if pg is not None:
            pg.__exit__(None, None, None)
            os.environ.pop("WARROOM_DB_URL", None)
        if not args.dir and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return exit_code


if __name__ == "__main__":
    sys.exit("run it as: python bench/viewers.py --mix ...")
