"""`python -m bench.inprocess`: CPU per warm call in-process, and the cost of each piece.

No network and no server: the app is called as `app(scope, receive, send)` under its lifespan,
with the reference config.yaml and the embedded demo (issueChatToken: the jwt viewer mode of
bench/tokens.py); CPU time per call from
`time.process_time()`, the minimum of several rounds. Pieces are timed on their own the same way
(the access line writes to /dev/null). Figures for BENCHMARKS.md's profile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import jwt
from asgi_lifespan import LifespanManager

from adapter.app import create_app
from adapter.config import Settings, load_settings
from adapter.logs import access_line, configure_logging
from adapter.tokens import widget_token
from adapter.web.graphql import FrontendApi
from adapter.web.ids import parse_ids
from adapter.web.users_info import UsersInfo
from bench.processes import ROOT
from bench.tokens import MUTATION, SITE_SECRET, WIDGET_SECRET

BASIC = b"Basic cm9vdDphYmM="
IDS = ",".join(str(i) for i in range(1, 21))


def _scope(path: str, query: bytes, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"adapter"), (b"authorization", BASIC)],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": dict(state),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _per_call(call: Callable[[], Awaitable[Any]], calls: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            await call()
        best = min(best, (time.process_time() - started) / calls)
    return best * 1e6


def _sync_per_call(call: Callable[[], Any], calls: int, rounds: int) -> float:
    async def wrapped() -> None:
        call()

    return asyncio.run(_per_call(wrapped, calls, rounds))


_TOKEN_ENV = {
    "IMBACHAT__VIEWER__MODE": "jwt",
    "IMBACHAT__VIEWER__JWT": "{header: Authorization, scheme: Bearer, algorithms: [HS256], "
    f"secret: {SITE_SECRET}, issuer: bench, audience: imbachat, user_id_claim: sub}}",
    "IMBACHAT__TOKENS__SECRET_KEY": WIDGET_SECRET,
    "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_VIEWER": "1000000/second",
    "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_IP": "1000000/second",
}


def _session() -> str:
    claims = {"sub": "6", "iss": "bench", "aud": "imbachat", "exp": int(time.time()) + 3600}
    return jwt.encode(claims, SITE_SECRET, algorithm="HS256")


async def _token_figures(calls: int, rounds: int) -> tuple[float, Settings, FrontendApi]:
    """issueChatToken as bench/tokens.py sends it (jwt viewer mode), CPU per call."""
    os.environ.update(_TOKEN_ENV)
    try:
        settings = load_settings(ROOT / "config.yaml")
    finally:
        for name in _TOKEN_ENV:
            os.environ.pop(name)
    configure_logging("info")
    app = create_app(settings)
    body = MUTATION.encode()
    headers = [
        (b"host", b"adapter"),
        (b"authorization", f"Bearer {_session()}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    async with LifespanManager(app) as manager:
        state = manager._state
        answers: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body":
                answers.append(message["body"])

        async def call() -> None:
            scope = _scope("/graphql", b"", state)
            scope.update(method="POST", raw_path=b"/graphql", headers=headers)
            await app(scope, receive, send)

        await call()
        assert b'"token"' in answers[-1], answers[-1]
        frontend: FrontendApi = state["frontend"]
        return await _per_call(call, calls, rounds), settings, frontend


async def _lookup_figure(calls: int, rounds: int) -> float:
    """Directory.lookup alone: 20 warm ids from the memory cache."""
    app = create_app(load_settings(ROOT / "config.yaml"))
    async with LifespanManager(app) as manager:
        directory = manager._state["directory"]
        wanted = list(range(1, 21))
        await directory.lookup(wanted)
        return await _per_call(lambda: directory.lookup(wanted), calls, rounds)


async def _app_figures(calls: int, rounds: int, level: str) -> float:
    settings = load_settings(ROOT / "config.yaml")
    configure_logging(level)
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        state = manager._state  # the lifespan's state, as a server copies it into each scope
        statuses: list[int] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        async def call() -> None:
            await app(
                _scope("/imbachat/v1/users", b"user_ids=" + IDS.encode(), state), _receive, send
            )

        await call()
        assert statuses == [200], statuses
        return await _per_call(call, calls, rounds)


async def _both_budgets(limiter: Any) -> None:
    await limiter.hit_ip("127.0.0.1")
    await limiter.hit_viewer(6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args(argv)
    calls, rounds = options.calls, options.rounds
    stderr = sys.stderr
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the access lines go nowhere
    try:
        rows = {
            "warm call (info)": asyncio.run(_app_figures(calls, rounds, "info")),
            "warm call (warning: no access line)": asyncio.run(
                _app_figures(calls, rounds, "warning")
            ),
        }
        configure_logging("info")
        settings = load_settings(ROOT / "config.yaml")
        info = UsersInfo(settings, "query")
        query = b"user_ids=" + IDS.encode()
        http = create_app(settings).edge.http

        def access() -> None:
            access_line(
                debug=False,
                request_id="0123456789abcdef0123456789abcdef",
                method="GET",
                route="/imbachat/v1/users",
                status=200,
                duration_ms=0.12,
                ids=20,
            )

        def record() -> None:
            """What the edge records after each request: the HTTP metrics and the access line."""
            http.record("/imbachat/v1/users", "GET", 200, 0.0001)
            access()

        rows["access line (one orjson write)"] = _sync_per_call(access, calls, rounds)
        rows["metrics + access line (the edge's recorder)"] = _sync_per_call(record, calls, rounds)
        rows["credentials + query + 20 ids"] = _sync_per_call(
            lambda: info.ids(query_string=query, path_value=None, authorization=BASIC.decode()),
            calls,
            rounds,
        )
        rows["directory.lookup, 20 warm ids (memory)"] = asyncio.run(_lookup_figure(calls, rounds))
        rows["20 ids parsed alone"] = _sync_per_call(
            lambda: parse_ids(IDS, settings.chat.ids), calls, rounds
        )
        token_call, token_settings, frontend = asyncio.run(_token_figures(calls, rounds))
        rows["issueChatToken (info)"] = token_call
        assert token_settings.viewer is not None
        assert token_settings.viewer.jwt is not None
        session = {"authorization": f"Bearer {_session()}"}
        viewer = frontend.viewer
        rows["site session JWT verified (PyJWT)"] = asyncio.run(
            _per_call(lambda: viewer.identify(session), calls, rounds)
        )
        rows["widget token signed"] = _sync_per_call(
            lambda: widget_token(frontend.tokens, 6), calls, rounds
        )
        limiter = frontend.limiter
        rows["both rate-limit hits (memory)"] = asyncio.run(
            _per_call(lambda: _both_budgets(limiter), calls, rounds)
        )
    finally:
        sys.stderr.close()
        sys.stderr = stderr
    for name, micros in rows.items():
        print(f"{name:<50} {micros:8.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
