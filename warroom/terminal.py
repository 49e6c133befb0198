"""The demo's terminal: Ctrl-C for the demo alone, so that `make demo` ends as quietly as the demo does.

A terminal sends Ctrl-C to its foreground process group. Run by make, the demo shares make's group, so
make gets the SIGINT too, and GNU make reports any interrupted recipe as "make: *** [demo] Interrupt"
and exits 130, however cleanly the demo stopped. Here the demo takes a process group of its own and
makes it the terminal's foreground for as long as it runs: Ctrl-C reaches the demo and its app server
only, and make exits with the demo's own code, 0. In an interactive shell, which already gives each
command a group of its own, nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator


def _set_foreground(terminal: int, group: int) -> None:
    # A background group that changes the terminal's foreground gets SIGTTOU: ignored for the call.
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(terminal, group)
    finally:
        signal.signal(signal.SIGTTOU, previous)


@contextlib.contextmanager
def own_foreground_group() -> Iterator[None]:
    """Within the block, this process leads the terminal's foreground process group (when it shares one with its parent)."""
    try:
        terminal = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:  # no controlling terminal: a service, CI, a test's pipe
        yield
        return
    try:
        foreground = os.tcgetpgrp(terminal)
        if os.getpgrp() != foreground or os.getpgrp() == os.getpid():
            yield
            return
        try:
            os.setpgid(0, 0)
            _set_foreground(terminal, os.getpgrp())
        except OSError:
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                _set_foreground(terminal, foreground)
    finally:
        os.close(terminal)
