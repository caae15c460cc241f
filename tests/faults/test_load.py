"""Mixed traffic against a served adapter process: a fixed number of calls (`make soak`: more).

Users-info warm and cold, the path form, search, widget tokens, and bad requests, from a few
closed-loop callers: as fast as the machine answers. Every answer has the status its kind
expects, and the adapter's resident memory does not grow once it is warm. The run is counted in
calls, not seconds, so a slow machine does the same work as a fast one, only later.
"""

from __future__ import annotations

import base64
import http.client
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import orjson
import pytest

from tests.servers import ADAPTER_COMMAND, DemoUpstream, spawn_on_free_port, stop_process
from tests.support import ROOT

CALLS = int(os.environ.get("IMBACHAT_LOAD_CALLS", "2000"))
WARM_UP_CALLS = 1000
# no_cover: the adapter under load is another process; tracing this one (the callers) would
# only make the clients slower.
pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.no_cover,
    pytest.mark.timeout(300 + CALLS // 20),
]

WORKERS = 8
SITE_JWT_SECRET = "load-test-site-session-secret-0123456789abcdef"
# A separate site, not the embedded demo: serve refuses the vendor's sample password there.
CHAT_AUTH = ("root", "load-test-chat-password")
# Growth allowed between the end of warm-up and the end of the run. Warm-up has asked for every
# id the run asks for, so the profile cache is as full as it gets before the first sample.
MAX_GROWTH_MIB = 8.0
TOKEN_QUERY = orjson.dumps({"query": "mutation { issueChatToken { token userId expiresAt } }"})


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


AUTH = {"Authorization": _basic(*CHAT_AUTH)}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@pytest.fixture
def adapter_process(demo_upstream: DemoUpstream) -> Iterator[tuple[str, int]]:
    """`imbachat-adapter serve` as its own process, with the site JWT viewer mode for tokens."""
    viewer = (
        "{header: Authorization, scheme: Bearer, algorithms: [HS256], "
        f"secret: {SITE_JWT_SECRET}, issuer: load, audience: imbachat, user_id_claim: sub}}"
    )
    env = {
        **os.environ,
        "IMBACHAT__UPSTREAM__EMBEDDED_DEMO": "false",
        "IMBACHAT__UPSTREAM__URL": demo_upstream.graphql_url,
        "IMBACHAT__CACHE__BACKEND": "memory",
        "IMBACHAT_API_PASSWORD": CHAT_AUTH[1],
        "IMBACHAT_SECRET_KEY": "load-test-widget-secret-key-0123456789abcdef",
        # Short windows: stale answers and background refreshes happen during the run too.
        "IMBACHAT__CACHE__FRESH_SECONDS": "4",
        "IMBACHAT__CACHE__STALE_SECONDS": "4",
        "IMBACHAT__VIEWER__MODE": "jwt",
        "IMBACHAT__VIEWER__JWT": viewer,
        "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_VIEWER": "1000000/second",
        "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_IP": "1000000/second",
    }
    argv = [*ADAPTER_COMMAND, "serve", "--config", str(ROOT / "config.yaml")]
    process, port = spawn_on_free_port(
        lambda port: [*argv, "--port", str(port), "--log-level", "warning"], env=env
    )
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop_process(process)


@dataclass
class Answer:
    status: int
    text: str


class Caller:
    """One caller's keep-alive HTTP/1.1 connection. The standard library's client costs a few
    times less CPU a call than httpx's, CPU the adapter under load would otherwise share."""

    def __init__(self, base_url: str) -> None:
        host, _, port = base_url.removeprefix("http://").partition(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self._used = False

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str]
    ) -> Answer:
        try:
            return self._send(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not self._used:
                raise
            # A kept-alive connection the server closed meanwhile: once more on a new one, as
            # an HTTP client pool does.
            self._connection.close()
            return self._send(method, path, body, headers)

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        text = response.read().decode(errors="replace")
        self._used = True
        return Answer(response.status, text)

    def get(self, path: str, headers: dict[str, str] = AUTH) -> Answer:
        return self.request("GET", path, headers=headers)

    def close(self) -> None:
        self._connection.close()


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


Call = Callable[[Caller, random.Random], tuple[Answer, set[int]]]


def _ids(rng: random.Random, low: int, high: int, count: int = 20) -> str:
    first = rng.randint(low, high - count)
    return ",".join(str(i) for i in range(first, first + count))


def warm(caller: Caller, rng: random.Random) -> tuple[Answer, set[int]]:
    return caller.get(f"/imbachat/v1/users?user_ids={_ids(rng, 1, 60)}"), {200}


def cold(caller: Caller, rng: random.Random) -> tuple[Answer, set[int]]:
    return caller.get(f"/imbachat/v1/users?user_ids={_ids(rng, 61, 1000)}"), {200}


def path_form(caller: Caller, rng: random.Random) -> tuple[Answer, set[int]]:
    return caller.get(f"/imbachat/v1/getusers/{_ids(rng, 1, 1000, 5)}"), {200}


def search(caller: Caller, rng: random.Random) -> tuple[Answer, set[int]]:
    text = rng.choice(["an", "user1", "zzzz", "Ma", "e"])
    return caller.get(f"/imbachat/v1/search/{text}"), {200}


def token(caller: Caller, rng: random.Random) -> tuple[Answer, set[int]]:
    user = rng.randint(1, 1000)
    claims = {"sub": str(user), "iss": "load", "aud": "imbachat", "exp": int(time.time()) + 600}
    session = jwt.encode(claims, SITE_JWT_SECRET, algorithm="HS256")
    headers = {**_JSON, "Authorization": f"Bearer {session}"}
    answer = caller.request("POST", "/graphql", body=TOKEN_QUERY, headers=headers)
    if answer.status == 200:
        issued = orjson.loads(answer.text).get("data", {}) or {}
        if (issued.get("issueChatToken") or {}).get("userId") != str(user):
            return answer, set()  # a 200 without this viewer's token is unexpected
    return answer, {200}


def bad(caller: Caller, rng: random.Random) -> tuple[Answer, set[int]]:
    choice = rng.randrange(5)
    if choice == 0:
        return caller.get("/imbachat/v1/users?user_ids=1,a,3"), {400}
    if choice == 1:
        return caller.get(
            "/imbachat/v1/users?user_ids=1", {"Authorization": _basic("root", "nope")}
        ), {401}
    if choice == 2:
        return caller.get("/imbachat/v1/nothing-here"), {404}
    if choice == 3:
        many = ",".join(str(i) for i in range(1, 1100))
        return caller.get(f"/imbachat/v1/users?user_ids={many}"), {400}
    return caller.request("POST", "/graphql", body=b"{not json", headers=_JSON), {400}


_JSON = {"Content-Type": "application/json"}
# Twenty slots: about half warm users-info, the rest spread over the other kinds.
MIX: Sequence[Call] = (
    [warm] * 9 + [cold] * 2 + [path_form, search, search, token, token] + [bad] * 4
)


SAMPLE_EVERY = 500


def drive(base_url: str, calls: int, tally: Tally, on_sample: Callable[[], None]) -> None:
    """`calls` calls of the mix from `WORKERS` callers; `on_sample` every `SAMPLE_EVERY` calls."""
    numbers = iter(range(calls))
    taking = threading.Lock()

    def next_number() -> int | None:
        with taking:
            return next(numbers, None)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        caller = Caller(base_url)
        try:
            while (n := next_number()) is not None:
                kind = MIX[n % len(MIX)]
                answer, expected = kind(caller, rng)
                with tally.lock:
                    tally.calls[kind.__name__] += 1
                    if answer.status not in expected or "Traceback" in answer.text:
                        tally.unexpected.append(
                            f"{kind.__name__}: {answer.status} {answer.text[:200]}"
                        )
                    if n % SAMPLE_EVERY == 0:
                        on_sample()
        finally:
            caller.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        for done in [pool.submit(worker, seed) for seed in range(WORKERS)]:
            done.result()


def ask_for_every_user(base_url: str) -> None:
    """Users-info for every id the mix asks for, so the profile cache is full before sampling."""
    caller = Caller(base_url)
    try:
        for first in range(1, 1001, 100):
            ids = ",".join(str(i) for i in range(first, first + 100))
            assert caller.get(f"/imbachat/v1/users?user_ids={ids}").status == 200
    finally:
        caller.close()


def test_mixed_traffic_has_no_unexpected_answer_and_no_memory_growth(
    adapter_process: tuple[str, int],
) -> None:
    """Mixed traffic for the whole run: every status as expected, and RSS flat after warm-up."""
    base_url, pid = adapter_process
    tally = Tally()
    samples: list[float] = []

    ask_for_every_user(base_url)
    drive(base_url, WARM_UP_CALLS, tally, lambda: None)
    at_warm = rss_mib(pid)
    drive(base_url, CALLS, tally, lambda: samples.append(rss_mib(pid)))
    at_end = rss_mib(pid)

    print(  # the soak's report (pytest -s)
        f"calls={sum(tally.calls.values())} by kind={dict(tally.calls)} "
        f"rss after warm-up={at_warm:.1f} MiB, end={at_end:.1f} MiB, "
        f"max={max(samples, default=at_end):.1f} MiB"
    )
    assert tally.unexpected == []
    assert set(tally.calls) == {"warm", "cold", "path_form", "search", "token", "bad"}
    assert at_end - at_warm < MAX_GROWTH_MIB
