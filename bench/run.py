"""`make bench`: start what is measured as separate processes on loopback, drive it, report.

Every figure stands beside a baseline measured in the same run (absolute numbers drift on a
shared machine; ratios do not): throughput rows each get a baseline run right before them.
"""

from __future__ import annotations

import argparse
import base64
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import redis

from bench.load import WrkResult, wrk
from bench.processes import ROOT, Service, free_port, start_service
from bench.report import Row, machine, table, write_json
from bench.tokens import WIDGET_SECRET, token_scenario

__all__ = ["main"]

# The adapters query a separate site (not the embedded demo), so serve refuses the vendor's
# sample password and the demo widget secret: the bench brings its own.
AUTH = ("root", "bench-chat-password")
BASIC = {"Authorization": "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()}
USERS = "/imbachat/v1/users?user_ids="
BATCH_SIZE = 100  # config.yaml upstream.batch.size
RESULTS = ROOT / "bench" / "results"
REDIS_URL = "redis://127.0.0.1:6379/0"


def forget_prefix(prefix: str) -> None:
    """Delete a run's keys from the shared Redis (never FLUSHALL); a Redis gone is fine."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    except redis.RedisError:
        pass
    finally:
        client.close()


def ids(first: int, count: int) -> str:
    return ",".join(str(i) for i in range(first, first + count))


@dataclass
class Options:
    seconds: float
    connections: int
    calls: int


class Bench:
    """The processes of one run and the rows measured against them."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.services: list[Service] = []
        self.rows: list[Row] = []
        self.redis_prefix = f"imbachat-bench:{uuid.uuid4().hex[:12]}:"

    # --- processes ----------------------------------------------------------------------------

    def start(self, name: str, argv: list[str], ready: str, env: dict[str, str]) -> Service:
        port = free_port()
        service = start_service(
            name,
            [*argv, "--port", str(port)],
            port=port,
            ready_path=ready,
            log_dir=self.workdir,
            env=env,
        )
        self.services.append(service)
        return service

    def adapter(self, name: str, upstream: Service, **overrides: str) -> Service:
        env = {
            "IMBACHAT__UPSTREAM__EMBEDDED_DEMO": "false",
            "IMBACHAT__UPSTREAM__URL": f"{upstream.url}/graphql",
            "IMBACHAT_API_PASSWORD": AUTH[1],
            "IMBACHAT_SECRET_KEY": WIDGET_SECRET,
            "IMBACHAT__CACHE__PREFIX": f"'{self.redis_prefix}'",  # YAML-quoted: ends in ":"
            "REDIS_URL": REDIS_URL,
            **{f"IMBACHAT__{key.upper()}": value for key, value in overrides.items()},
        }
        argv = ["-m", "adapter", "serve", "--config", str(ROOT / "config.yaml")]
        return self.start(name, argv, "/healthz", env)

    def baseline(self, body: bytes) -> Service:
        body_file = self.workdir / "baseline-body.json"
        body_file.write_bytes(body)
        argv = ["-m", "uvicorn", "bench.baseline:app", "--no-access-log", "--no-server-header"]
        env = {"BENCH_BASELINE_BODY": str(body_file), "BENCH_WIDGET_SECRET": WIDGET_SECRET}
        return self.start("baseline", argv, "/healthz", env)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        forget_prefix(self.redis_prefix)

    # --- helpers ------------------------------------------------------------------------------

    def load(
        self,
        url: str,
        *,
        headers: Mapping[str, str] = BASIC,
        before: Callable[[], None] | None = None,
        env: Mapping[str, str] | None = None,
        server: Service | None = None,
    ) -> WrkResult:
        """A 1 s warm-up, then the measured run (with `server`'s CPU time per request)."""
        connections = self.options.connections
        wrk(url, connections=connections, seconds=1, headers=headers, env=env)
        if before is not None:
            before()
        seconds = self.options.seconds
        cpu = server.cpu_seconds() if server else 0.0
        result = wrk(url, connections=connections, seconds=seconds, headers=headers, env=env)
        if server is None or not result.requests:
            return result
        used = server.cpu_seconds() - cpu
        return replace(result, cpu_us=used / result.requests * 1e6)

    def calls(self, url: str, count: int, seconds: float) -> WrkResult:
        """`count` calls one after another (wrk -c1, stopped by the script), within `seconds`.

        wrk always runs for its whole duration, so `seconds` is kept near what the calls need;
        a row whose calls did not all finish in time is marked missed.
        """
        env = {"BENCH_MAX_REQUESTS": str(count)}
        return wrk(url, connections=1, seconds=seconds, headers=BASIC, env=env)

    # --- scenarios ----------------------------------------------------------------------------

    def throughput(
        self,
        name: str,
        base: Service,
        server: Service,
        path: str,
        target: str,
        *,
        before: Callable[[], None] | None = None,
        base_path: str = "/users",
        headers: Mapping[str, str] = BASIC,
        base_env: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[Row, WrkResult]:
        reference = self.load(f"{base.url}{base_path}", headers=headers, env=base_env, server=base)
        measured = self.load(
            server.url + path, headers=headers, before=before, env=env, server=server
        )
        row = Row(
            name,
            rps=measured.rps,
            p50_ms=measured.p50_ms,
            p99_ms=measured.p99_ms,
            baseline_rps=reference.rps,
            baseline_p99_ms=reference.p99_ms,
            cpu_us=measured.cpu_us,
            baseline_cpu_us=reference.cpu_us,
            errors=measured.errors,
            target=target,
        )
        self.rows.append(row)
        return row, measured

    def run(self) -> None:
        upstream = self.start("demo-upstream", ["-m", "adapter", "demo-upstream"], "/stats", {})
        memory = self.adapter("adapter-memory", upstream, CACHE__BACKEND="memory")
        shared = self.adapter("adapter-redis", upstream, CACHE__BACKEND="redis")
        cold = self.adapter(
            "adapter-cold", upstream, CACHE__FRESH_SECONDS="0", CACHE__STALE_SECONDS="0"
        )
        twenty = f"{USERS}{ids(1, 20)}"
        body = httpx.get(memory.url + twenty, auth=AUTH).content
        httpx.get(shared.url + twenty, auth=AUTH).raise_for_status()
        base = self.baseline(body)

        row, _ = self.throughput(
            "warm memory (20 ids)", base, memory, twenty, "rps >= 0.5x, CPU <= 2x"
        )
        row.met = (row.rps_ratio or 0) >= 0.5 and (row.cpu_ratio or math.inf) <= 2.0
        row, _ = self.throughput("warm redis (20 ids)", base, shared, twenty, "rps >= 0.4x")
        row.met = (row.rps_ratio or 0) >= 0.4

        stats = Stats(upstream)
        row, measured = self.throughput(
            "cold (20 random ids)",
            base,
            cold,
            USERS + "{ids}",
            "",
            before=stats.reset,
            env={"BENCH_PATH": USERS + "{ids}", "BENCH_WINDOW": "20"},
        )
        row.upstream_per_call = stats.count() / measured.requests
        row.note = "every call misses; concurrent calls for the same ids share a fetch"

        self.burst(memory, base, stats)
        self.scaling(memory, cold, base, stats)
        rows, tokens = token_scenario(self, upstream, base)
        self.rows.extend(rows)
        for service in (memory, shared, cold, *([tokens] if tokens else [])):
            rss = service.sample_rss()
            self.rows.append(
                Row(
                    f"memory: {service.name}",
                    rss_mb=rss,
                    target="peak RSS < 150 MB",
                    met=rss < 150,
                )
            )

    def burst(self, adapter: Service, base: Service, stats: Stats) -> None:
        """200 concurrent calls for the same 50 uncached ids, a few rounds of fresh ids.

        wrk opens one connection per call; each sends its call at once, and the script stops
        after as many answers as calls, so the figures are those of the first wave.
        """
        rounds, size, calls = 3, 50, self.options.calls
        once = {"BENCH_MAX_REQUESTS": str(calls)}

        def fire(url: str, auth: bool) -> WrkResult:
            headers = BASIC if auth else None
            return wrk(url, connections=calls, seconds=3, headers=headers, env=once)

        reference, measured = [], []
        upstream_requests = 0
        for round_ in range(rounds):
            reference.append(fire(f"{base.url}/users", auth=False))
            stats.reset()
            measured.append(fire(adapter.url + USERS + ids(501 + round_ * size, size), auth=True))
            upstream_requests += stats.count()
        expected = math.ceil(size / BATCH_SIZE)
        row = Row(
            f"burst ({calls} x {size} ids)",
            p50_ms=max(m.p50_ms for m in measured),
            p99_ms=max(m.p99_ms for m in measured),
            baseline_p99_ms=max(r.p99_ms for r in reference),
            upstream_per_call=upstream_requests / rounds,
            expected_upstream_per_call=expected,
            errors=sum(m.errors for m in measured),
            target="one upstream request per chunk",
            note=f"worst of {rounds} rounds; up/call is per burst of {calls} calls",
        )
        answered = all(m.requests >= calls for m in measured)
        row.met = upstream_requests == expected * rounds and row.errors == 0 and answered
        self.rows.append(row)

    def scaling(self, warm: Service, cold: Service, base: Service, stats: Stats) -> None:
        """Latency per call and upstream requests per call for 1..1000 ids, warm and cold."""
        reference = self.calls(f"{base.url}/users", 200, seconds=2)
        for count in (1, 10, 100, 1000):
            url_ids = ids(1, count)
            httpx.get(warm.url + USERS + url_ids, auth=AUTH, timeout=30).raise_for_status()
            for kind, service, n, seconds, expected in (
                ("warm", warm, 200 if count <= 100 else 50, 2, 0),
                ("cold", cold, 50 if count <= 100 else 12, 4 if count <= 100 else 8, None),
            ):
                expected = math.ceil(count / BATCH_SIZE) if expected is None else expected
                stats.reset()
                measured = self.calls(service.url + USERS + url_ids, n, seconds)
                per_call = stats.count() / max(1, measured.requests)
                self.rows.append(
                    Row(
                        f"scaling {kind} {count} ids",
                        p50_ms=measured.p50_ms,
                        p99_ms=measured.p99_ms,
                        baseline_p99_ms=reference.p99_ms,
                        upstream_per_call=per_call,
                        expected_upstream_per_call=expected,
                        errors=measured.errors,
                        target="up/call = ceil(N/100) cold, 0 warm",
                        met=per_call == expected
                        and measured.errors == 0
                        and measured.requests == n,
                        note=f"{measured.requests} of {n} sequential calls",
                    )
                )


class Stats:
    """The demo upstream's GraphQL request counter."""

    def __init__(self, upstream: Service) -> None:
        self.url = upstream.url

    def reset(self) -> None:
        httpx.post(f"{self.url}/stats/reset").raise_for_status()

    def count(self) -> int:
        value: int = httpx.get(f"{self.url}/stats").json()["graphql_requests"]
        return value


def _workdir() -> Path:
    """bench/results/logs: each process's output, kept for a look after the run."""
    path = RESULTS / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--calls", type=int, default=200, help="concurrent calls in a burst")
    args = parser.parse_args(argv)
    options = Options(args.seconds, args.connections, args.calls)
    info = machine()
    bench = Bench(options, _workdir())
    try:
        bench.run()
    finally:
        bench.stop()
    info["load_average_after"] = machine()["load_average"]
    path = write_json(bench.rows, info, RESULTS)
    echo(
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"uvicorn {info['uvicorn']} (uvloop {info['uvloop']}, httptools {info['httptools']}), "
        f"load average {info['load_average'][0]:.2f} -> {info['load_average_after'][0]:.2f}"
    )
    echo(f"wrk: 1 thread, {options.connections} connections, {options.seconds:g} s per run")
    echo(table(bench.rows))
    echo(f"JSON: {path.relative_to(ROOT)}")
    missed = [row.scenario for row in bench.rows if row.met is False]
    if missed:
        echo(f"targets missed: {', '.join(missed)}")
    return 0
