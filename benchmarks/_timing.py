"""Timing helpers shared by the benchmarks: interleaved rounds so drift hits every row alike."""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_runs(cmds: list[list[str]], repeat: int) -> list[float]:
    """Median wall time of each command (seconds), runs interleaved."""
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]
