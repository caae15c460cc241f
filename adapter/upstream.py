"""The site's GraphQL API over httpx: timeouts, bounded concurrency, retries, breaker.

Every failure leaves this module as an `UpstreamError`. Retries (stamina) happen only where they
are safe: connection errors and 502/503/504, and for mutations only when the request never left.
A retry budget keeps retries to a fraction of first attempts, so a struggling site is not hit
harder for struggling; after `failure_threshold` failures in a row the circuit breaker opens and
calls fail at once until `recovery_seconds` have passed. Every call has a total deadline
(`timeouts.total`) across its attempts: httpx's read timeout bounds each read, so a site that drips
one byte at a time would otherwise hold a call, and its concurrency slot, for as long as it likes.

The site's error messages are shown to whoever runs the adapter (the log line, `init`'s advice),
never to the chat; a site may echo what it was sent ("wrong password 'hunter2'"), so the values
a call sent are hidden in them before they are cut (`error_messages`).
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import AsyncIterator, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
import orjson
import stamina
import structlog
from purgatory import AsyncCircuitBreakerFactory

# What an open breaker raises: purgatory's own OpenedState, which it does not export (the one
# private name used; tests/test_dependency_contracts.py fails when purgatory changes it).
from purgatory.domain.model import OpenedState as CircuitOpen

from adapter.bounded import ACCEPT_ENCODING, TooLarge, UnsupportedEncoding, read_bounded
from adapter.config import UpstreamSettings
from adapter.errors import (
    HeaderRejected,
    UpstreamError,
    UpstreamGraphQLError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from adapter.logs import REDACTED
from adapter.metrics import Metrics

__all__ = ["CircuitOpen", "GraphQLResult", "RetryBudget", "UpstreamClient", "error_messages"]

log = structlog.get_logger(__name__)

_RETRY_STATUSES = frozenset({502, 503, 504})
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_CIRCUIT = "upstream"
# What RFC 9110 allows in a field value: visible ASCII, obs-text (0x80-0xFF), space and tab.
_NOT_FIELD_VALUE = re.compile(rb"[^\t\x20-\x7e\x80-\xff]")
# Shorter values sent to the site are not hidden in its error messages: they would only mangle
# them ("id", "1"), and no credential is that short.
_MIN_HIDDEN = 4


@dataclass(frozen=True)
class GraphQLResult:
    """A usable answer: `data`, plus any `errors` that came with it (already logged)."""

    data: dict[str, Any]
    errors: list[Any] = field(default_factory=list)


class RetryBudget:
    """A token bucket: each first attempt earns `ratio` of a retry, each retry spends one."""

    def __init__(self, *, ratio: float, reserve: float) -> None:
        self.ratio = ratio
        self.reserve = reserve
        self.tokens = reserve

    def earn(self) -> None:
        self.tokens = min(self.reserve, self.tokens + self.ratio)

    def spend(self) -> bool:
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class UpstreamClient:
    """One per process: opened by the runtime, shared by every request."""

    def __init__(
        self,
        settings: UpstreamSettings,
        *,
        metrics: Metrics | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        url: str | None = None,
    ) -> None:
        self.settings = settings
        self.url = url or settings.url or ""
        self.metrics = metrics or Metrics()
        timeouts = settings.timeouts
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                connect=timeouts.connect,
                read=timeouts.read,
                write=timeouts.write,
                pool=timeouts.pool,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_concurrency,
                max_keepalive_connections=settings.max_concurrency,
            ),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/graphql-response+json, application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
                **{name: value.get_secret_value() for name, value in settings.headers.items()},
            },
            follow_redirects=False,
        )
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self.deadline = settings.total_deadline()
        self.budget = RetryBudget(
            ratio=settings.retry.budget_ratio, reserve=settings.retry.budget_reserve
        )
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=settings.breaker.failure_threshold,
            default_ttl=settings.breaker.recovery_seconds,
            # The site answering "no" (GraphQL errors, 4xx but 429) is not the site failing;
            # counting it would let junk requests open the breaker for everyone.
            exclude=[
                UpstreamGraphQLError,
                asyncio.CancelledError,
                (UpstreamStatusError, _is_client_error),
            ],
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def execute(
        self,
        document: str,
        variables: Mapping[str, Any],
        *,
        headers: Mapping[str, str | bytes] | None = None,
        mutation: bool = False,
    ) -> GraphQLResult:
        """Run one GraphQL operation; raise an UpstreamError subclass when it gives nothing.

        `headers` come from a caller (a page's credentials): a value that is no valid field
        value is refused here as `HeaderRejected`, before the breaker can count it.
        """
        wire_headers = _wire_headers(headers) if headers else {}
        try:
            breaker = await self._breakers.get_breaker(_CIRCUIT)
            async with breaker:
                return await self._execute(document, variables, wire_headers, mutation)
        except CircuitOpen:
            self.metrics.upstream_requests.labels("circuit_open").inc()
            raise UpstreamUnavailable("the site's GraphQL API is failing; not calling it") from None

    async def _execute(
        self,
        document: str,
        variables: Mapping[str, Any],
        headers: Mapping[bytes, bytes],
        mutation: bool,
    ) -> GraphQLResult:
        body = orjson.dumps({"query": document, "variables": variables})
        retry = self.settings.retry
        self.budget.earn()
        attempts = 0

        def should_retry(exc: Exception) -> bool:
            # stamina asks before it checks its attempt limit: a last attempt never retries,
            # so it must not spend the budget or count as retried.
            if attempts >= retry.attempts:
                return False
            if mutation:
                retryable = isinstance(exc, _UNSENT)
            else:
                retryable = isinstance(
                    exc, (*_UNSENT, httpx.RemoteProtocolError, UpstreamStatusError)
                )
            if retryable and self.budget.spend():
                self.metrics.upstream_requests.labels("retried").inc()
                return True
            return False

        try:
            async with asyncio.timeout(self.deadline):
                async for attempt in stamina.retry_context(
                    on=should_retry,
                    attempts=retry.attempts,
                    wait_initial=retry.backoff_initial,
                    wait_max=retry.backoff_max,
                    wait_jitter=retry.backoff_initial,
                    timeout=None,
                ):
                    with attempt:
                        attempts += 1
                        status, payload = await self._send(body, headers)
                        if status in _RETRY_STATUSES:
                            raise _status_error(status)
            return self._interpret(status, payload, variables, headers)
        except TimeoutError:
            what = f"did not answer within {self.deadline:g} s"
            raise self._unavailable("deadline", what, attempts) from None
        except httpx.TimeoutException as exc:
            what = f"did not answer in time ({type(exc).__name__})"
            raise self._unavailable("timeout", what, attempts) from exc
        except httpx.TransportError as exc:
            what = f"cannot be reached ({type(exc).__name__})"
            raise self._unavailable("unreachable", what, attempts) from exc
        except (UpstreamStatusError, UpstreamProtocolError) as exc:
            raise self._failed(exc, attempts) from None

    async def _send(self, body: bytes, headers: Mapping[bytes, bytes]) -> tuple[int, bytes]:
        limit = self.settings.max_response_bytes
        async with self._slots:
            started = time.perf_counter()
            request = self._client.build_request("POST", self.url, content=body, headers=headers)
            response = await self._client.send(request, stream=True)
            try:
                if response.is_stream_consumed:
                    # Read whole (and decoded) by the transport itself: httpx's MockTransport.
                    payload = await read_bounded(_once(response.content), limit)
                else:
                    payload = await read_bounded(
                        response.aiter_raw(),
                        limit,
                        declared=response.headers.get("content-length"),
                        encoding=response.headers.get("content-encoding"),
                    )
            except TooLarge:
                self.metrics.upstream_requests.labels("too_large").inc()
                raise UpstreamProtocolError(
                    f"the site's answer is larger than {limit} bytes"
                ) from None
            except UnsupportedEncoding as exc:
                raise UpstreamProtocolError(
                    "the site's answer has a Content-Encoding the adapter does not ask for: "
                    f"{exc.encoding!r}"
                ) from None
            except zlib.error:
                raise UpstreamProtocolError(
                    "the site's answer is not what its Content-Encoding says"
                ) from None
            finally:
                await response.aclose()
                self.metrics.upstream_latency.observe(time.perf_counter() - started)
        self.metrics.upstream_requests.labels(str(response.status_code)).inc()
        return response.status_code, payload

    def _sent_values(
        self, variables: Mapping[str, Any], headers: Mapping[bytes, bytes]
    ) -> set[str]:
        """What this call sent that a site echoing it would put in our logs: the credentials
        (the service's headers and the caller's, each cookie's value and each token after its
        scheme) and every text among the variables (a chat user's password, say)."""
        values = {value.get_secret_value() for value in self.settings.headers.values()}
        values.update(value.decode("latin-1") for value in headers.values())
        for value in list(values):
            values.add(value.partition(" ")[2])
            values.update(part.partition("=")[2].strip() for part in value.split(";"))
        values.update(_texts(variables))
        return {value for value in values if len(value) >= _MIN_HIDDEN}

    def _failed(self, error: UpstreamError, attempts: int) -> UpstreamError:
        log.warning("upstream_call_failed", cause=error.message, attempts=attempts)
        return error

    def _unavailable(self, outcome: str, what: str, attempts: int) -> UpstreamError:
        self.metrics.upstream_requests.labels(outcome).inc()
        return self._failed(UpstreamUnavailable(f"the site's GraphQL API {what}"), attempts)

    def _interpret(
        self,
        status: int,
        payload: bytes,
        variables: Mapping[str, Any],
        headers: Mapping[bytes, bytes],
    ) -> GraphQLResult:
        try:
            decoded = orjson.loads(payload)
        except orjson.JSONDecodeError:
            decoded = None
        graphql_shaped = isinstance(decoded, dict) and ("data" in decoded or "errors" in decoded)
        if status >= 500 or (status != 200 and not graphql_shaped):
            raise _status_error(status)
        if not isinstance(decoded, dict) or not graphql_shaped:
            raise UpstreamProtocolError("the site's answer is not a GraphQL response")
        data, errors = decoded.get("data"), decoded.get("errors") or []
        if not isinstance(errors, list) or (data is not None and not isinstance(data, dict)):
            raise UpstreamProtocolError("the site's answer is not a GraphQL response")
        if not errors:
            if data is None:
                raise UpstreamGraphQLError("the site's GraphQL API answered with no data")
            return GraphQLResult(data, errors)
        # The hiding set is built only for an answer with errors: a clean one shows no text.
        messages = error_messages(
            errors, count=5, limit=200, hiding=self._sent_values(variables, headers)
        )
        log.warning(
            "upstream_graphql_errors",
            count=len(errors),
            messages=messages,
            partial=data is not None,
        )
        if data is None:
            raise UpstreamGraphQLError(
                f"the site's GraphQL API answered with {len(errors)} error(s) and no data",
                site_messages=messages,
            )
        return GraphQLResult(data, errors)


def error_messages(
    errors: Any, *, count: int, limit: int, hiding: Collection[str] = ()
) -> list[str]:
    """The `message` of each of the first `count` errors, each cut to `limit` characters.

    An error that is not an object is shown as its text, and so is an `errors` that is not a
    list; no errors give no messages. Every text in `hiding` is replaced by `REDACTED` first.
    """
    if not isinstance(errors, list):
        errors = [str(errors)] if errors else []
    # Longest first, so a value that contains another is replaced whole.
    hidden = [text for text in sorted(hiding, key=len, reverse=True) if text]
    messages = []
    for error in errors[:count]:
        message = str(error.get("message") if isinstance(error, dict) else error)
        for text in hidden:
            message = message.replace(text, REDACTED)
        messages.append(message[:limit])
    return messages


def _status_error(status: int) -> UpstreamStatusError:
    return UpstreamStatusError(f"the site's GraphQL API answered HTTP {status}", status_code=status)


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _wire_headers(headers: Mapping[str, str | bytes]) -> dict[bytes, bytes]:
    """Each value as the bytes to send: text as Latin-1, as the server that received it read it."""
    wire: dict[bytes, bytes] = {}
    for name, value in headers.items():
        try:
            raw = value.encode("latin-1") if isinstance(value, str) else value
        except UnicodeEncodeError:
            raw = b"\x00"  # a character no header can carry: refused just below
        if _NOT_FIELD_VALUE.search(raw):
            raise HeaderRejected(f"the {name} header cannot be passed on to the site")
        wire[name.encode("ascii")] = raw
    return wire


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _is_client_error(exc: BaseException) -> bool:
    status = getattr(exc, "status_code", 0)
    return 400 <= status < 500 and status != 429
