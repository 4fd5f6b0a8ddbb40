"""Timing helpers shared by the benchmarks: interleaved rounds so drift hits every row alike."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_runs(
    cmds: list[list[str]], repeat: int, env: Mapping[str, str] | None = None
) -> list[float]:
    """Median wall time of each command (seconds), runs interleaved."""
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False, env=env)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def run_once(cmd: list[str], env: Mapping[str, str] | None = None) -> float:
    """Wall time of one run of ``cmd`` (seconds), output discarded."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False, env=env)
    return time.perf_counter() - start


def median_calls(
    fns: list[Callable[[], object]],
    repeat: int,
    number: int = 1,
    setup: Callable[[], object] | None = None,
) -> list[float]:
    """Median time per call of each function (seconds), rounds interleaved.

    Each round calls ``setup`` (untimed) and then every function ``number`` times in a row;
    a round's sample is the mean of those calls.
    """
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        if setup is not None:
            setup()
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[i].append((time.perf_counter() - start) / number)
    return [statistics.median(t) for t in times]


def environ(**changes: str | None) -> dict[str, str]:
    """A copy of the environment with ``changes`` (``None`` removes a variable)."""
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
