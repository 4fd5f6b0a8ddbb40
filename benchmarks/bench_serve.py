"""Load test of ``mesoreg serve``: concurrent clients on ``POST /api/check``, on localhost.

Starts ``mesoreg serve`` (a child process, 127.0.0.1, a free port, the built-in plugins
only) and runs each scenario: N clients, each sending its next request as soon as the
last is answered, until the request budget or the time limit is spent (both bounded).
Prints ONE table: clients, requests, throughput, p50 / p99 / max latency, errors (must be
0) and the server's resident memory before and after (and its peak, from the kernel).

Scenarios:

* ``same``: every request checks the same formulation and patient;
* ``distinct``: every request a different formulation (the points per session and the
  volumes vary), so nothing a check computes can be reused.

The goal of issue 15 is p99 < 50 ms at 20 concurrent clients on 2 cores.  The clients
run in this process (asyncio, httpx) and share the machine's cores with the server, so
the figures are the service's and its load's together; the load generator is a bare HTTP/1.1 client
(keep-alive, pre-encoded requests) so that its own cost stays small.

Run: python benchmarks/bench_serve.py [--clients 1,20] [--requests 2000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
FORMULATION = ROOT / "formulations" / "lipo-abdomen" / "v1.toml"
PATIENT = ROOT / "examples" / "patients" / "marc.toml"


def _json(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        data: dict[str, Any] = json.loads(json.dumps(tomllib.load(f), default=str))
    return data


def _bodies(kind: str, count: int) -> list[dict[str, Any]]:
    formulation, patient = _json(FORMULATION), _json(PATIENT)
    base = {"formulation": formulation, "patient": patient, "region": "FR", "date": "2026-11-22"}
    if kind == "same":
        return [base]
    bodies = []
    for i in range(count):
        f = json.loads(json.dumps(formulation))
        f["use"]["points"] = 10 + i % 40  # at most 49 x 0.4 mL: within 2 syringes of 10 mL
        f["preparations"][0]["components"][0]["volume"] = f"{10 + i / 1000:g} mL"
        bodies.append({**base, "formulation": f})
    return bodies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _memory_kb(pid: int) -> tuple[int, int]:
    """(resident, peak resident) in kB of a process and its children (the workers), from
    /proc (Linux); (0, 0) elsewhere."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    rss = peak = 0
    for one in pids:
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        values = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        rss += values.get("VmRSS", 0)
        peak += values.get("VmHWM", 0)
    return rss, peak


class _Connection:
    """One keep-alive HTTP/1.1 connection, as light as a load generator should be (the
    clients share the cores with the server: an HTTP library's own cost would be counted
    as the server's)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _request(body: dict[str, Any], port: int) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _run(
    port: int, payloads: list[bytes], clients: int, budget: int, seconds: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    sent = 0
    end = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors, sent
        connection = _Connection(port)
        try:
            while sent < budget and time.perf_counter() < end:
                payload = payloads[sent % len(payloads)]
                sent += 1
                start = time.perf_counter()
                try:
                    status, body = await connection.post(payload)
                    ok = status == 200 and b'"verdict"' in body
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    connection.close()
                    connection = _Connection(port)
                latencies.append(time.perf_counter() - start)
                errors += not ok
        finally:
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - began


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"mesoreg serve ended with {process.returncode}")
        try:
            if httpx.get(url + "openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("mesoreg serve did not start in 20 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,20", help="concurrent clients (default 1,20)")
    parser.add_argument("--requests", type=int, default=2000, help="per scenario (default 2000)")
    parser.add_argument("--seconds", type=float, default=30, help="per scenario (default 30)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    args = parser.parse_args()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "MESOREG_NO_PLUGINS": "1"}
    command = [sys.executable, "-m", "mesoreg", "serve", "--port", str(port), "--no-plugins",
               "--workers", str(args.workers)]  # fmt: skip
    # run outside the worktree, so that the installed mesoreg serves (python -m puts the
    # current folder first on the path)
    elsewhere = tempfile.gettempdir()
    process = subprocess.Popen(command, cwd=elsewhere, env=env, stderr=subprocess.DEVNULL)
    rows = []
    try:
        _wait(url, process)
        for kind in ("same", "distinct"):
            payloads = [_request(b, port) for b in _bodies(kind, args.requests)]
            for clients in (int(c) for c in args.clients.split(",")):
                asyncio.run(_run(port, payloads, clients, min(50, args.requests), 5))  # warm
                before, _ = _memory_kb(process.pid)
                latencies, errors, wall = asyncio.run(
                    _run(port, payloads, clients, args.requests, args.seconds)
                )
                after, peak = _memory_kb(process.pid)
                ms = sorted(x * 1000 for x in latencies)
                rows.append(
                    (
                        kind,
                        clients,
                        len(ms),
                        f"{len(ms) / wall:.0f}",
                        f"{statistics.median(ms):.1f}",
                        f"{ms[min(len(ms) - 1, int(len(ms) * 0.99))]:.1f}",
                        f"{ms[-1]:.1f}",
                        errors,
                        f"{before / 1024:.0f} -> {after / 1024:.0f} ({peak / 1024:.0f})",
                    )
                )
    finally:
        process.terminate()
        process.wait(10)
    head = ("scenario", "clients", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors",
            "server RSS MiB before -> after (peak)")  # fmt: skip
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    for row in (head, *rows):
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True)))
    print(
        f"\nworkers: {args.workers}; goal: p99 < 50 ms at 20 clients on 2 cores "
        f"(this machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})"
    )
    return 1 if any(r[7] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
