"""The load driver: wrk (Debian's package), with bench/report.lua turning its figures into JSON."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WrkResult", "wrk"]

_SCRIPT = Path(__file__).resolve().parent / "report.lua"


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: completed requests, throughput and latency percentiles (ms)."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float | None = None  # the server's CPU time per request, when measured


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    threads: int = 1,
) -> WrkResult:
    """Run wrk against `url` (one thread unless told); the Lua script prints its figures as JSON."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk; `make bench` does)")
    argv = [
        binary,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(_SCRIPT),
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
        env={**(env or {}), "PATH": "/usr/bin:/bin"},
    )
    line = next(row for row in reversed(done.stdout.splitlines()) if row.startswith("{"))
    report = json.loads(line)
    errors = sum(report["errors"].values())
    seconds_taken = report["duration_us"] / 1e6
    latency = report["latency_us"]
    return WrkResult(
        requests=report["requests"],
        rps=report["requests"] / seconds_taken if seconds_taken else 0.0,
        p50_ms=latency["p50"] / 1000,
        p99_ms=latency["p99"] / 1000,
        errors=errors,
    )
