"""`python -m bench.instructions`: instructions per request, counted by callgrind, vs the baseline.

Throughput and CPU time move with whatever else the machine runs; instruction counts do not.
Each server (the adapter as `serve` runs it, and bench/baseline.py on the same uvicorn) runs
under `valgrind --tool=callgrind --instr-atstart=no`: nothing is counted while it starts and
warms up; then counting is switched on (`callgrind_control -i on`), a fixed number of requests
is sent over a few keep-alive connections, counting is switched off and the totals are dumped.
User-space instructions only (the kernel's share of a request is about the same for both).

Rows (`--rows`, comma-separated keys; all by default): `warm` and `redis`, the warm users-info
call for 20 ids (memory cache; the Redis backend on 127.0.0.1:6379 under a key prefix of the run's
own, deleted after), and `tokens` and `widget`, issueChatToken and ChatWidget (the page-load call)
in jwt viewer mode, each beside the baseline endpoint answering the same bytes or signing the same
token.
Needs Debian's valgrind (`apt-get install valgrind`); skips with the reason when it is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt

from bench.processes import ROOT, free_port, start_service
from bench.run import AUTH, BASIC, REDIS_URL, forget_prefix
from bench.tokens import CHAT_WIDGET, MUTATION, SITE_SECRET, USER_ID, WIDGET_SECRET

__all__ = ["main"]

IDS = ",".join(str(i) for i in range(1, 21))
ROWS = ("warm", "redis", "tokens", "widget")
_START_SECONDS = 180.0  # everything runs about 50 times slower under callgrind
_TOKEN_ENV = {
    "IMBACHAT__VIEWER__MODE": "jwt",
    "IMBACHAT__VIEWER__JWT": "{header: Authorization, scheme: Bearer, algorithms: [HS256], "
    f"secret: {SITE_SECRET}, issuer: bench, audience: imbachat, user_id_claim: sub}}",
    "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_VIEWER": "1000000/second",
    "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_IP": "1000000/second",
    "IMBACHAT__TOKENS__SECRET_KEY": WIDGET_SECRET,
}


@dataclass(frozen=True)
class Request:
    """One HTTP/1.1 request, sent as these bytes again and again."""

    raw: bytes

    @classmethod
    def build(
        cls, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Request:
        lines = [
            f"{method} {path} HTTP/1.1",
            "Host: bench",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        return cls(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


async def _send(port: int, request: Request, count: int, connections: int) -> None:
    """`count` requests over `connections` keep-alive connections; each answer must be a 200."""

    async def one(share: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(share):
                writer.write(request.raw)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"answer: {head[:200]!r}")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                if length is None:
                    raise RuntimeError(f"no content-length: {head[:200]!r}")
                await reader.readexactly(int(length.group(1)))
        finally:
            writer.close()

    await asyncio.gather(*(one(count // connections) for _ in range(connections)))


def _callgrind(pid: int, *flags: str) -> None:
    subprocess.run(["callgrind_control", *flags, str(pid)], check=True, capture_output=True)


def count_instructions(
    name: str,
    argv: Sequence[str],
    request: Request,
    *,
    env: Mapping[str, str],
    workdir: Path,
    requests: int,
    connections: int,
) -> float:
    """Instructions per request of the server `python argv...` under callgrind (the requests
    are shared evenly among the connections, so a remainder is not sent)."""
    port = free_port()
    out = workdir / f"callgrind.{name}"
    valgrind = [
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        *argv,
        "--port",
        str(port),
    ]
    service = start_service(
        name,
        valgrind,
        port=port,
        ready_path="/healthz",
        log_dir=workdir,
        env=env,
        executable="valgrind",
        start_seconds=_START_SECONDS,
    )
    try:
        asyncio.run(_send(port, request, 200, connections))  # warm caches and code paths
        _callgrind(service.process.pid, "-i", "on")
        asyncio.run(_send(port, request, requests, connections))
        _callgrind(service.process.pid, "-i", "off")
        _callgrind(service.process.pid, "-d")
    finally:
        service.stop()
    total = 0
    for dump in workdir.glob(f"callgrind.{name}*"):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith("totals:"):
                total += int(line.split()[1])
    return total / (requests // connections * connections)


def _rows(
    workdir: Path, requests: int, connections: int, chosen: AbstractSet[str]
) -> list[tuple[str, float, float]]:
    body_file = workdir / "baseline-body.json"
    adapter_env = {
        "IMBACHAT_API_PASSWORD": AUTH[1],
        "IMBACHAT_SECRET_KEY": WIDGET_SECRET,
        "IMBACHAT__LOGGING__LEVEL": "info",
    }
    serve = ["-m", "adapter", "serve", "--config", str(ROOT / "config.yaml")]
    baseline = ["-m", "uvicorn", "bench.baseline:app", "--no-access-log", "--no-server-header"]
    users = Request.build("GET", f"/imbachat/v1/users?user_ids={IDS}", BASIC)
    base_env = {"BENCH_BASELINE_BODY": str(body_file), "BENCH_WIDGET_SECRET": WIDGET_SECRET}
    count = functools.partial(
        count_instructions, workdir=workdir, requests=requests, connections=connections
    )
    rows: list[tuple[str, float, float]] = []
    redis_prefix = f"imbachat-bench:{uuid.uuid4().hex[:12]}:"
    warm = {
        "warm": ("warm memory (20 ids)", {}),
        "redis": (
            "warm redis (20 ids)",
            {
                "IMBACHAT__CACHE__BACKEND": "redis",
                "IMBACHAT__CACHE__PREFIX": f"'{redis_prefix}'",  # YAML-quoted: ends in ":"
                "REDIS_URL": REDIS_URL,
            },
        ),
    }
    if chosen & warm.keys():
        # The baseline answers the adapter's exact bytes for the 20 warm users.
        port = free_port()
        probe = start_service(
            "adapter-probe",
            [*serve, "--port", str(port)],
            port=port,
            ready_path="/healthz",
            log_dir=workdir,
            env=adapter_env,
        )
        try:
            answer = httpx.get(f"{probe.url}/imbachat/v1/users?user_ids={IDS}", auth=AUTH)
            answer.raise_for_status()
            body_file.write_bytes(answer.content)
        finally:
            probe.stop()
        base_users = count(
            "baseline-users", baseline, Request.build("GET", "/users", {}), env=base_env
        )
    else:
        body_file.write_bytes(b"[]")
    for key, (name, cache_env) in warm.items():
        if key in chosen:
            try:
                adapter = count(f"adapter-{key}", serve, users, env={**adapter_env, **cache_env})
            finally:
                if cache_env:
                    forget_prefix(redis_prefix)
            rows.append((name, adapter, base_users))
    if not chosen & {"tokens", "widget"}:
        return rows
    session = jwt.encode(
        {"sub": str(USER_ID), "iss": "bench", "aud": "imbachat", "exp": int(time.time()) + 36000},
        SITE_SECRET,
        algorithm="HS256",
    )
    graphql = {"Authorization": f"Bearer {session}", "Content-Type": "application/json"}
    base_token = Request.build("POST", "/token", {"Content-Type": "application/json"}, b"{}")
    base_count = count("baseline-token", baseline, base_token, env=base_env)
    token_env = {**adapter_env, **_TOKEN_ENV}
    for key, name, body in (
        ("tokens", "tokens (issueChatToken)", MUTATION),
        ("widget", "ChatWidget (page load)", CHAT_WIDGET),
    ):
        if key not in chosen:
            continue
        document = Request.build("POST", "/graphql", graphql, body.encode())
        rows.append((name, count("adapter-tokens", serve, document, env=token_env), base_count))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--rows", default=",".join(ROWS), help=f"comma-separated, of {', '.join(ROWS)}"
    )
    options = parser.parse_args(argv)
    chosen = set(options.rows.split(","))
    if not chosen <= set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(chosen - set(ROWS)))}")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("skipped: valgrind is not installed (apt-get install valgrind)")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as workdir:
        rows = _rows(Path(workdir), options.requests, options.connections, chosen)
    print(f"{'scenario':<26}{'adapter':>12}{'baseline':>12}{'x base':>8}")
    for name, adapter, base in rows:
        print(f"{name:<26}{adapter:>12,.0f}{base:>12,.0f}{adapter / base:>8.2f}")
    print(f"(user-space instructions per request; {options.requests} requests per row)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
