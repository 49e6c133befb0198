"""The coverage-guided fuzzer (bench/fuzz.py) in the suite: a short run, and every case it ever found, replayed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.fuzz import CASES, one_input
from tests.conftest import ROOT

FOUND = sorted(CASES.glob("crash-*"))


def test_a_short_fuzzing_run_finds_nothing():
    run = subprocess.run([sys.executable, "bench/fuzz.py", "--runs", "5000", "--seed", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (run.returncode, "Done 5000 runs" in run.stderr) == (0, True), run.stderr[-2000:]


@pytest.mark.parametrize("case", FOUND, ids=[path.name for path in FOUND])
def test_a_case_the_fuzzer_found_stays_fixed(case):
    one_input(case.read_bytes())
