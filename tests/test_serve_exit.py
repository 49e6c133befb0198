"""`warroom serve` stopped with Ctrl-C, as a terminal sends it (to the whole foreground process group): exit 0, no "Aborted!", no server left behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.browser_support import free_port, port_open, wait_healthy, wait_until
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def interrupted_serve(tmp_path_factory) -> tuple[int, str, int]:
    """Return (exit code, everything printed, port) of `warroom serve` on the 520 sample, stopped with SIGINT to its process group once it serves."""
    folder = tmp_path_factory.mktemp("serve") / "520"
    shutil.copytree(SAMPLE, folder)
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        # A session of its own: its process group is the terminal's foreground group of this test.
        process = subprocess.Popen([sys.executable, "-m", "warroom", "serve", "-c", str(folder / "event.toml"), "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", lambda: None if process.poll() is None else log.read_text(), timeout=120, what="warroom serve")
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return code, log.read_text(errors="replace"), port


def test_ctrl_c_stops_serve_with_exit_code_0(interrupted_serve):
    code, printed, _port = interrupted_serve
    assert code == 0, f"exit code {code}:\n{printed}"


@pytest.mark.parametrize("error_sign", ["Aborted!", "Traceback"])
def test_ctrl_c_prints_no_error_line(interrupted_serve, error_sign):
    _code, printed, _port = interrupted_serve
    assert error_sign not in printed, f"{error_sign!r} in what serve printed:\n{printed}"


def test_ctrl_c_leaves_no_app_server_behind(interrupted_serve):
    _code, _printed, port = interrupted_serve
    wait_until(lambda: not port_open(port), timeout=15, what=f"nothing listening on port {port}")
