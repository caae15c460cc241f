"""The upstream client: GraphQL semantics, retries only where safe, a budget, a breaker.

Success is proven against the real demo upstream process; faults are injected with
`httpx.MockTransport`, because a real server does not fail on demand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import purgatory.domain.model
import pytest

from adapter.config import UpstreamSettings
from adapter.errors import (
    UpstreamGraphQLError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from adapter.metrics import Metrics
from adapter.upstream import RetryBudget, UpstreamClient
from tests.servers import DemoUpstream

Handler = Callable[[httpx.Request], httpx.Response]
QUERY = "query { users(ids: [1]) { id } }"


def settings(**overrides: Any) -> UpstreamSettings:
    data: dict[str, Any] = {
        "url": "http://site.test/graphql",
        "retry": {"attempts": 3, "backoff_initial": 0, "backoff_max": 0},
        "headers": {"Authorization": "Bearer service-token"},
    }
    data.update(overrides)
    return UpstreamSettings.model_validate(data)


class Script:
    """A transport that plays a list of answers (or exceptions) and counts the sends."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


def ok(data: Any = None, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data if data is not None else {"users": []}, **extra})


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[..., UpstreamClient]]:
    """Clients over scripted transports, closed after the test."""
    clients: list[UpstreamClient] = []

    def build(script: Script, **overrides: Any) -> UpstreamClient:
        client = UpstreamClient(
            settings(**overrides), metrics=Metrics(), transport=httpx.MockTransport(script)
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


async def test_real_demo_upstream_answers(demo_upstream: DemoUpstream) -> None:
    """A query against the real demo upstream returns its data and counts one request."""
    async with UpstreamClient(settings(url=demo_upstream.graphql_url)) as client:
        result = await client.execute(
            "query($ids: [ID!]!) { users(ids: $ids) { id } }", {"ids": ["1", "2"]}
        )
    assert result.data == {"users": [{"id": "1"}, {"id": "2"}]}
    assert result.errors == []
    assert demo_upstream.requests() == 1


async def test_static_headers_and_body(client_for: Callable[..., UpstreamClient]) -> None:
    """Configured headers and a JSON body with query and variables are sent."""
    script = Script(ok())
    await client_for(script).execute(QUERY, {"a": 1})
    request = script.sent[0]
    assert request.headers["authorization"] == "Bearer service-token"
    assert request.headers["content-type"] == "application/json"
    assert request.content == b'{"query":"' + QUERY.encode() + b'","variables":{"a":1}}'


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried(
    client_for: Callable[..., UpstreamClient], status: int
) -> None:
    """502/503/504 are retried; a later success is returned."""
    script = Script(httpx.Response(status), httpx.Response(status), ok())
    client = client_for(script)
    assert (await client.execute(QUERY, {})).data == {"users": []}
    assert len(script.sent) == 3


async def test_retries_stop_at_the_attempt_limit(client_for: Callable[..., UpstreamClient]) -> None:
    """After `attempts` tries the last status surfaces as UpstreamStatusError."""
    script = Script(httpx.Response(503))
    with pytest.raises(UpstreamStatusError) as caught:
        await client_for(script).execute(QUERY, {})
    assert caught.value.status_code == 503
    assert len(script.sent) == 3


@pytest.mark.parametrize("status", [500, 400, 401, 404, 429])
async def test_other_statuses_are_not_retried(
    client_for: Callable[..., UpstreamClient], status: int
) -> None:
    """Statuses other than 502/503/504 are not retried."""
    script = Script(httpx.Response(status, text="<html>oops</html>"))
    with pytest.raises(UpstreamStatusError):
        await client_for(script).execute(QUERY, {})
    assert len(script.sent) == 1


async def test_connection_errors_are_retried(client_for: Callable[..., UpstreamClient]) -> None:
    """A refused connection is retried, then reported as UpstreamUnavailable."""
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(UpstreamUnavailable, match="cannot be reached"):
        await client_for(script).execute(QUERY, {})
    assert len(script.sent) == 3


async def test_read_timeouts_are_not_retried(client_for: Callable[..., UpstreamClient]) -> None:
    """A read timeout is not retried: the site may still be working on it."""
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(UpstreamUnavailable, match="did not answer in time"):
        await client_for(script).execute(QUERY, {})
    assert len(script.sent) == 1


async def test_mutations_retry_only_unsent_requests(
    client_for: Callable[..., UpstreamClient],
) -> None:
    """A mutation is retried after a connection error but never after a 503."""
    refused = Script(httpx.ConnectError("refused"), ok({"login": None}))
    assert (await client_for(refused).execute(QUERY, {}, mutation=True)).data == {"login": None}
    assert len(refused.sent) == 2
    unavailable = Script(httpx.Response(503))
    with pytest.raises(UpstreamStatusError):
        await client_for(unavailable).execute(QUERY, {}, mutation=True)
    assert len(unavailable.sent) == 1


async def test_retry_budget_limits_retries(client_for: Callable[..., UpstreamClient]) -> None:
    """With a budget of one retry and no earning, only one retry happens across calls."""
    script = Script(httpx.Response(503))
    client = client_for(
        script,
        retry={"attempts": 5, "backoff_initial": 0, "budget_ratio": 0, "budget_reserve": 1},
        breaker={"failure_threshold": 100},
    )
    for _ in range(3):
        with pytest.raises(UpstreamStatusError):
            await client.execute(QUERY, {})
    assert len(script.sent) == 4  # 3 first attempts + the single budgeted retry


def test_retry_budget_earns_and_caps() -> None:
    """Each first attempt earns `ratio` of a retry, up to the reserve."""
    budget = RetryBudget(ratio=0.5, reserve=1)
    assert budget.spend()
    assert not budget.spend()
    budget.earn()
    assert not budget.spend()
    budget.earn()
    assert budget.spend()
    for _ in range(10):
        budget.earn()
    assert budget.tokens == 1


async def test_breaker_opens_after_consecutive_failures(
    client_for: Callable[..., UpstreamClient],
) -> None:
    """After `failure_threshold` failures the breaker fails calls at once, sending nothing."""
    script = Script(httpx.Response(500))
    client = client_for(script, breaker={"failure_threshold": 2, "recovery_seconds": 60})
    for _ in range(2):
        with pytest.raises(UpstreamStatusError):
            await client.execute(QUERY, {})
    with pytest.raises(UpstreamUnavailable, match="not calling it"):
        await client.execute(QUERY, {})
    assert len(script.sent) == 2


async def test_breaker_ignores_graphql_errors(client_for: Callable[..., UpstreamClient]) -> None:
    """GraphQL errors are the site answering, so they do not open the breaker."""
    script = Script(httpx.Response(200, json={"errors": [{"message": "no"}], "data": None}))
    client = client_for(script, breaker={"failure_threshold": 1, "recovery_seconds": 60})
    for _ in range(3):
        with pytest.raises(UpstreamGraphQLError):
            await client.execute(QUERY, {})
    assert len(script.sent) == 3


@pytest.mark.parametrize(
    ("status", "opens"), [(400, False), (401, False), (404, False), (429, True)]
)
async def test_breaker_ignores_client_errors_but_429(
    client_for: Callable[..., UpstreamClient], status: int, opens: bool
) -> None:
    """4xx answers do not open the breaker (junk requests must not block everyone); 429 does."""
    script = Script(httpx.Response(status, text="no"))
    client = client_for(script, breaker={"failure_threshold": 1, "recovery_seconds": 60})
    for _ in range(2):
        with pytest.raises((UpstreamStatusError, UpstreamUnavailable)):
            await client.execute(QUERY, {})
    assert len(script.sent) == (1 if opens else 2)


class FrozenClock:
    """Stands in for the `time` module of the breaker library: time moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


async def test_breaker_recovers(
    client_for: Callable[..., UpstreamClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the recovery time has passed calls fail at once; then one goes through again."""
    clock = FrozenClock()
    monkeypatch.setattr(purgatory.domain.model, "time", clock)
    script = Script(httpx.Response(500), ok())
    client = client_for(script, breaker={"failure_threshold": 1, "recovery_seconds": 5})
    with pytest.raises(UpstreamStatusError):
        await client.execute(QUERY, {})
    clock.now += 4.9
    with pytest.raises(UpstreamUnavailable, match="not calling it"):
        await client.execute(QUERY, {})
    assert len(script.sent) == 1
    clock.now += 0.2
    assert (await client.execute(QUERY, {})).data == {"users": []}
    assert len(script.sent) == 2


async def test_partial_data_is_used_and_errors_kept(
    client_for: Callable[..., UpstreamClient],
) -> None:
    """`data` with `errors` returns what arrived, with the errors beside it."""
    script = Script(ok({"u0": {"id": "1"}, "u1": None}, errors=[{"message": "u1 failed"}]))
    result = await client_for(script).execute(QUERY, {})
    assert result.data == {"u0": {"id": "1"}, "u1": None}
    assert result.errors == [{"message": "u1 failed"}]


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(200, json={"errors": [{"message": "boom"}]}), UpstreamGraphQLError),
        (httpx.Response(200, json={"errors": ["text"], "data": None}), UpstreamGraphQLError),
        (httpx.Response(200, json={"data": None}), UpstreamGraphQLError),
        (httpx.Response(200, json={"data": None, "errors": []}), UpstreamGraphQLError),
        (httpx.Response(200, text="<html>not json</html>"), UpstreamProtocolError),
        (httpx.Response(200, text='{"data": {"users": ['), UpstreamProtocolError),
        (httpx.Response(200, json=[1, 2]), UpstreamProtocolError),
        (httpx.Response(200, json={"other": 1}), UpstreamProtocolError),
        (httpx.Response(200, json={"data": [1]}), UpstreamProtocolError),
        (httpx.Response(200, json={"data": {}, "errors": "x"}), UpstreamProtocolError),
        (httpx.Response(418, text="teapot"), UpstreamStatusError),
    ],
)
async def test_unusable_answers_raise_typed_errors(
    client_for: Callable[..., UpstreamClient], response: httpx.Response, error: type[Exception]
) -> None:
    """Errors without data, non-JSON and wrong shapes raise the matching UpstreamError."""
    with pytest.raises(error):
        await client_for(Script(response)).execute(QUERY, {})


async def test_graphql_errors_with_a_4xx_status_are_read(
    client_for: Callable[..., UpstreamClient],
) -> None:
    """A GraphQL-over-HTTP 4xx carrying a GraphQL body is read as GraphQL errors."""
    response = httpx.Response(400, json={"errors": [{"message": "bad variable"}]})
    with pytest.raises(UpstreamGraphQLError):
        await client_for(Script(response)).execute(QUERY, {})


async def test_large_answers_are_refused(client_for: Callable[..., UpstreamClient]) -> None:
    """An answer over `max_response_bytes` is refused, by declared or by streamed size."""
    declared = Script(httpx.Response(200, content=b"{}" * 100))
    with pytest.raises(UpstreamProtocolError, match="larger than 64 bytes"):
        await client_for(declared, max_response_bytes=64).execute(QUERY, {})

    async def chunks() -> AsyncIterator[bytes]:
        yield b"{" + b" " * 50
        yield b" " * 50 + b"}"

    def streamed(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    with pytest.raises(UpstreamProtocolError, match="larger than 64 bytes"):
        await client_for(Script(streamed), max_response_bytes=64).execute(QUERY, {})
