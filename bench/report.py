"""The benchmark's rows, its table and its JSON file."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Row", "machine", "table", "write_json"]


@dataclass
class Row:
    """One measured figure set, beside the baseline measured in the same run."""

    scenario: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    baseline_rps: float | None = None
    baseline_p99_ms: float | None = None
    # Server CPU time per request: steadier than throughput on a machine shared with others.
    cpu_us: float | None = None
    baseline_cpu_us: float | None = None
    upstream_per_call: float | None = None
    expected_upstream_per_call: float | None = None
    rss_mb: float | None = None
    errors: int = 0
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def rps_ratio(self) -> float | None:
        if self.rps is None or not self.baseline_rps:
            return None
        return self.rps / self.baseline_rps

    @property
    def cpu_ratio(self) -> float | None:
        if self.cpu_us is None or not self.baseline_cpu_us:
            return None
        return self.cpu_us / self.baseline_cpu_us

    @property
    def p99_ratio(self) -> float | None:
        if self.p99_ms is None or not self.baseline_p99_ms:
            return None
        return self.p99_ms / self.baseline_p99_ms


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import uvicorn

    def has(module: str) -> bool:
        try:
            __import__(module)
        except ImportError:
            return False
        return True

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "uvicorn": uvicorn.__version__,
        "uvloop": has("uvloop"),
        "httptools": has("httptools"),
        "load_average": os.getloadavg(),
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    """A plain-text table: every figure beside its same-run baseline."""
    header = (
        f"{'scenario':<24} {'req/s':>8} {'x base':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'x base':>7} {'CPU us':>7} {'x base':>7} {'up/call':>8} {'RSS MB':>7} {'err':>4}  target"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        verdict = {True: "met", False: "MISSED", None: ""}[row.met]
        upstream = _fmt(row.upstream_per_call, ".2f")
        if row.expected_upstream_per_call is not None:
            upstream += f"/{row.expected_upstream_per_call:g}"
        lines.append(
            f"{row.scenario:<24} {_fmt(row.rps, '.0f'):>8} {_fmt(row.rps_ratio, '.2f'):>7} "
            f"{_fmt(row.p50_ms, '.2f'):>7} {_fmt(row.p99_ms, '.2f'):>7} "
            f"{_fmt(row.p99_ratio, '.2f'):>7} {_fmt(row.cpu_us, '.0f'):>7} "
            f"{_fmt(row.cpu_ratio, '.2f'):>7} {upstream:>8} {_fmt(row.rss_mb, '.1f'):>7} "
            f"{row.errors:>4}  {row.target} {verdict}".rstrip()
            + (f"  ({row.note})" if row.note else "")
        )
    return "\n".join(lines)


def write_json(rows: list[Row], info: dict[str, Any], directory: Path) -> Path:
    """bench/results/bench-<time>.json, and latest.json beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": info,
        "rows": [
            {
                **asdict(row),
                "rps_ratio": row.rps_ratio,
                "p99_ratio": row.p99_ratio,
                "cpu_ratio": row.cpu_ratio,
            }
            for row in rows
        ],
    }
    text = json.dumps(document, indent=2)
    path = directory / time.strftime("bench-%Y%m%d-%H%M%S.json")
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path
