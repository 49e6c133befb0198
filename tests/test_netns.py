"""The links `warroom links` prints open from another machine on the network: a second network namespace (`ip netns`) plays the phone.

The namespace is joined to this one by a veth pair with a /30 of its own, and routes everything
through it, as a phone on the shop's Wi-Fi reaches the laptop that runs the war room. It needs root
and a kernel that allows network namespaces; elsewhere the test skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.browser_support import free_port, wait_until
from tests.conftest import ROOT
from tests.events import access, small_event, table
from warroom.links import lan_address

SECRET = "netns-link-secret-0123456789"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def phone():
    """Yield the name of a network namespace that reaches this machine's LAN address over a veth pair; removed afterwards."""
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (iproute2): cannot make a second network namespace")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace (ip netns add) needs root")
    if lan_address() is None:
        pytest.skip("this machine has no LAN address for a phone to reach")
    tag = os.getpid() % 100_000
    name, host_end, phone_end = f"warroom-phone-{tag}", f"wrh{tag}", f"wrp{tag}"
    made = ip("netns", "add", name, check=False)
    if made.returncode != 0:
        pytest.skip(f"ip netns is not permitted here: {made.stderr.strip()}")
    # A /30 from the pid, so that two test runs on one machine do not share a subnet.
    prefix = f"10.{200 + tag % 50}.{tag % 250}"
    try:
        for command in (
            ("link", "add", host_end, "type", "veth", "peer", "name", phone_end),
            ("link", "set", phone_end, "netns", name),
            ("addr", "add", f"{prefix}.1/30", "dev", host_end),
            ("link", "set", host_end, "up"),
            ("-n", name, "addr", "add", f"{prefix}.2/30", "dev", phone_end),
            ("-n", name, "link", "set", phone_end, "up"),
            ("-n", name, "link", "set", "lo", "up"),
            ("-n", name, "route", "add", "default", "via", f"{prefix}.1"),
        ):
            done = ip(*command, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot join a network namespace to this one here (ip {' '.join(command)}): {done.stderr.strip()}")
        yield name
    finally:
        ip("link", "del", host_end, check=False)
        ip("netns", "del", name, check=False)


def fetch_from(namespace: str, url: str) -> int:
    """Return the HTTP status of a GET of `url` made from inside the namespace (0 when it cannot connect)."""
    script = ("import sys, urllib.request\n"
              "try:\n    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)\n"
              "except Exception:\n    print(0)\n")
    result = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", script, url], capture_output=True, text=True, timeout=60)
    return int(result.stdout.strip() or 0)


def test_links_on_the_lan_address_open_from_another_network_namespace(phone, tmp_path):
    (tmp_path / "feeds").mkdir()
    event = tmp_path / "event.toml"
    event.write_text(small_event(access(link_secret=SECRET), table("[intake]", secret=SECRET)), encoding="utf-8")
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if key != "WARROOM_PUBLIC_URL"}
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "warroom", "serve", "-c", str(event), "--port", str(port)], cwd=ROOT, env=environ,
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        links = json.loads(subprocess.run([sys.executable, "-m", "warroom", "links", "-c", str(event), "--port", str(port), "--json"],
                                          capture_output=True, text=True, cwd=ROOT, env=environ, timeout=120, check=True).stdout)
        wait_until(lambda: server.poll() is not None or fetch_from(phone, links["kiosk"]) == 200, timeout=120, what="the kiosk link from the phone")
        base = links["kiosk"].split("/?")[0]
        statuses = (fetch_from(phone, links["kiosk"]), fetch_from(phone, links["staff"][0]["url"]), fetch_from(phone, f"{base}/api/v1/health"),
                    fetch_from(phone, f"http://localhost:{port}/"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    # The old links (localhost) never opened from a phone: the last one must fail, or the check would prove nothing.
    assert statuses == (200, 200, 200, 0), f"kiosk, staff link, health, localhost from the phone: {statuses}\n{(tmp_path / 'serve.log').read_text()[-1000:]}"
