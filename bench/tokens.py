"""Tokens: `issueChatToken` and `ChatWidget` (jwt viewer mode) vs a bare endpoint signing the
same widget JWT."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import httpx
import jwt

from bench.processes import ROOT, Service
from bench.report import Row

if TYPE_CHECKING:
    from bench.run import Bench

__all__ = ["CHAT_WIDGET", "MUTATION", "WIDGET_SECRET", "token_scenario"]

WIDGET_SECRET = "bench-widget-secret-key-0123456789abcdef"  # noqa: S105 - a bench-only key
SITE_SECRET = "bench-site-session-secret-0123456789abcdef"  # noqa: S105 - a bench-only key
MUTATION = '{"query":"mutation { issueChatToken { token userId expiresAt } }"}'
# The page-load call, as the shipped client sends it (adapter/web/static/client/documents.js).
CHAT_WIDGET = json.dumps(
    {
        "query": "query ChatWidget {\n  chatWidget {\n    scriptUrl\n    options\n    userId\n"
        "    expiresAt\n  }\n}"
    }
)
USER_ID = 6
NAME = "tokens (issueChatToken)"
WIDGET_NAME = "ChatWidget (page load)"
TARGET = "rps >= 0.45x"


def available() -> bool:
    """The GraphQL API and the widget tokens exist in this tree."""
    graphql = ROOT / "adapter" / "web" / "graphql"
    return graphql.is_dir() and (ROOT / "adapter" / "tokens.py").is_file()


def token_scenario(
    bench: Bench, upstream: Service, base: Service
) -> tuple[list[Row], Service | None]:
    """Rows not already recorded by `bench.throughput`, and the adapter process measured."""
    if not available():
        return [Row(NAME, target=TARGET, note="not available: no GraphQL API in this tree")], None
    viewer = (
        "{header: Authorization, scheme: Bearer, algorithms: [HS256], "
        f"secret: {SITE_SECRET}, issuer: bench, audience: imbachat, user_id_claim: sub}}"
    )
    adapter = bench.adapter(
        "adapter-tokens",
        upstream,
        VIEWER__MODE="jwt",
        VIEWER__JWT=viewer,
        TOKENS__SECRET_KEY=WIDGET_SECRET,
        # The limiter still runs on every call; only its budget is out of the way.
        GRAPHQL__RATE_LIMIT__PER_VIEWER="1000000/second",
        GRAPHQL__RATE_LIMIT__PER_IP="1000000/second",
    )
    claims = {
        "sub": str(USER_ID),
        "iss": "bench",
        "aud": "imbachat",
        "exp": int(time.time()) + 3600,
    }
    session = jwt.encode(claims, SITE_SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {session}", "Content-Type": "application/json"}
    answer = httpx.post(f"{adapter.url}/graphql", content=MUTATION, headers=headers).json()
    token = ((answer.get("data") or {}).get("issueChatToken") or {}).get("token")
    if not token or jwt.decode(token, WIDGET_SECRET, algorithms=["HS256"])["user_id"] != USER_ID:
        return [Row(NAME, target=TARGET, note=f"not available: {str(answer)[:80]}")], adapter
    note = (
        "viewer: one site session JWT (HS256), verified once, then remembered; widget token signed"
    )
    for name, body in ((NAME, MUTATION), (WIDGET_NAME, CHAT_WIDGET)):
        post = {"BENCH_METHOD": "POST", "BENCH_BODY": body}
        row, _ = bench.throughput(
            name,
            base,
            adapter,
            "/graphql",
            TARGET,
            base_path="/token",
            headers=headers,
            base_env=post,
            env=post,
        )
        row.met = (row.rps_ratio or 0) >= 0.45 and row.errors == 0
        row.note = note
    return [], adapter
