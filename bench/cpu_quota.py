"""A CPU quota for a group of processes (a Linux cgroup's CFS quota), for benches that weigh one replica against several.

    with CpuQuota("warroom-replica-1", cores=0.3) as quota:
        quota.add(process.pid)

On a 2-core machine the bench, the demo's ingest, PostgreSQL and nginx share the cores with the replicas,
so two replicas left free would each take what the other and the bench need: capping each at the same
share of a core measures what one more replica (one more small machine) carries. cgroup v2
(`cpu.max`) or v1 (`cpu.cfs_quota_us`), as the machine mounts it; it needs root.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000  # short: a GIL-bound server throttled for most of a long period stalls every thread at once


class CpuQuotaError(RuntimeError):
    """The machine offers no writable cgroup CPU controller."""


class CpuQuota:
    """A cgroup whose processes together get at most `cores` of one CPU's time."""

    def __init__(self, name: str, cores: float, root: Path = CGROUP_ROOT):
        if not 0.01 <= cores <= (os.cpu_count() or 1):
            raise ValueError(f"a CPU quota of {cores:g} cores: expected 0.01 to {os.cpu_count()}")
        self.cores = cores
        v2 = (root / "cgroup.controllers").exists()
        self.parent = root if v2 else root / "cpu"
        self.path = self.parent / f"{name}-{os.getpid()}"
        self.v2 = v2

    def __enter__(self) -> CpuQuota:
        quota = max(1000, int(self.cores * PERIOD_US))
        try:
            if self.v2:
                controllers = (self.parent / "cgroup.subtree_control").read_text()
                if "cpu" not in controllers.split():
                    (self.parent / "cgroup.subtree_control").write_text("+cpu")
            self.path.mkdir(exist_ok=True)
            if self.v2:
                (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:
                (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError as error:
            raise CpuQuotaError(f"cannot cap the replicas' CPU: {self.path} is not writable ({error.strerror}); run as root on a machine with a cgroup CPU controller") from error
        return self

    def add(self, pid: int) -> None:
        """Move a process (all its threads) into the group."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttled_seconds(self) -> float:
        """Return how long the group was held back by its quota, in seconds."""
        try:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                key, value = line.split()
                if key == "throttled_usec":
                    return int(value) / 1e6
                if key == "throttled_time":
                    return int(value) / 1e9
        except OSError:
            pass
        return 0.0

    def __exit__(self, *_exc) -> None:
        try:
            for pid in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):  # it ended meanwhile
                    (self.parent / "cgroup.procs").write_text(pid)
            self.path.rmdir()
        except OSError:
            pass
