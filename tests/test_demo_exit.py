"""`warroom demo` says where to open it (the LAN address, the TV's kiosk link, the demo passwords), and Ctrl-C stops it cleanly: exit 0, no error line."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time

import pytest

from tests.browser_support import BOSS_PASSWORD, LEAD_PASSWORD, DemoProcess, kiosk_query, process_alive, wait_until
from warroom.demo import INTERRUPT_GRACE_SECONDS
from warroom.links import lan_address

WELCOME_END = "stop            Ctrl-C"


@pytest.fixture(scope="module", params=["as soon as it prints its URL", "once it serves", "reaching the app server first"])
def interrupted_demo(request, tmp_path_factory):
    """Return (exit code, everything printed, port) of a demo stopped with SIGINT (Ctrl-C): early, once its app server answers,
    or with the app server stopping from it before the demo itself handles it (a terminal sends Ctrl-C to both)."""
    demo = DemoProcess(tmp_path_factory.mktemp("demo") / "work", speed=60).start()
    try:
        wait_until(lambda: WELCOME_END in demo.log_text() or demo.process.poll() is not None, timeout=120, what="the demo's URL line")
        if request.param != "as soon as it prints its URL":
            demo.wait_ready()
        if request.param == "reaching the app server first":
            server = demo.server_pid()
            assert server is not None, f"no app server under the demo:\n{demo.log_text()}"
            os.kill(server, signal.SIGINT)
            wait_until(lambda: not process_alive(server), timeout=60, interval=0.05, what="the app server to stop")
            # The Ctrl-C reaches the demo itself a moment later: long enough for it to see its app server gone (it looks
            # twice a second), well within the grace it gives a Ctrl-C. Not a wait for anything: the order of two deliveries.
            time.sleep(min(0.75, INTERRUPT_GRACE_SECONDS / 2))
        code = demo.interrupt(timeout=60)
    finally:
        demo.close()
    return code, demo.log_text(), demo.port


def test_ctrl_c_stops_the_demo_with_exit_code_0(interrupted_demo):
    code, printed, _port = interrupted_demo
    assert code == 0, f"exit code {code}:\n{printed}"


@pytest.mark.parametrize("error_sign", ["Traceback", "Error", "error", "stopped:", "Uvicorn"])
def test_ctrl_c_prints_no_error_line(interrupted_demo, error_sign):
    _code, printed, _port = interrupted_demo
    assert error_sign not in printed, f"{error_sign!r} in what the demo printed:\n{printed}"


def test_the_demo_prints_its_lan_url(interrupted_demo):
    _code, printed, port = interrupted_demo
    expected = f"open            http://{lan_address() or '127.0.0.1'}:{port}"
    assert expected in printed, printed


def test_the_demo_prints_the_kiosk_link(interrupted_demo):
    _code, printed, port = interrupted_demo
    kiosk = re.search(r"TV \(kiosk\)\s+(\S+)", printed)
    expected = f"http://{lan_address() or '127.0.0.1'}:{port}/?kiosk={kiosk_query()['kiosk']}"
    assert kiosk is not None and kiosk.group(1) == expected, printed


def test_the_demo_prints_the_demo_passwords(interrupted_demo):
    _code, printed, _port = interrupted_demo
    assert (LEAD_PASSWORD in printed, BOSS_PASSWORD in printed) == (True, True), printed


def test_make_demo_stops_on_ctrl_c_in_a_terminal_with_exit_code_0(tmp_path):
    """`make demo` in a terminal, stopped by Ctrl-C typed there: make exits 0 and prints no error (GNU make would say "Interrupt")."""
    import fcntl
    import subprocess
    import termios

    from tests.browser_support import ROOT, free_port

    master, slave = os.openpty()
    args = f"--port {free_port()} --dir {tmp_path / 'work'} --speed 60"

    def controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # after setsid: the pty is this session's terminal, as a login's is

    make = subprocess.Popen(["make", "-s", "demo", f"DEMO_ARGS={args}"], cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=controlling_terminal)
    os.close(slave)
    printed = b""
    try:
        def read_some() -> bool:
            nonlocal printed
            with contextlib.suppress(OSError):  # nothing to read yet, or the terminal closed
                printed += os.read(master, 65536)
            return WELCOME_END.encode() in printed or make.poll() is not None

        os.set_blocking(master, False)
        wait_until(read_some, timeout=120, interval=0.1, what="the demo's URL line under make")
        assert make.poll() is None, printed.decode(errors="replace")
        os.write(master, b"\x03")  # Ctrl-C, typed at the terminal
        code = make.wait(timeout=60)
        read_some()
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        os.close(master)
    text = printed.decode(errors="replace")
    assert code == 0, text
    assert "Interrupt" not in text and "Error" not in text and "Traceback" not in text, text
