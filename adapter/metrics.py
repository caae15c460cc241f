"""Prometheus metrics, one registry per app so that tests can build many apps side by side.

Every labelled counter whose label values are known in advance starts with each of them at 0,
so that a rule such as `rate(adapter_cache_requests_total{result="stale_if_error"}[5m])` has a
series to read before the first such event (a missing series is not 0 to Prometheus, and an
alert on its rate would stay silent through the first burst). Open sets (HTTP statuses, routes)
appear when first seen.

What every warm request counts (`HttpFigures`, `LabelledCounts`) is kept as plain numbers,
updated from the event loop only and exported when scraped: a prometheus_client child's `inc`
and `observe` take a lock each, most of what counting cost a warm answer.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

__all__ = [
    "CACHE_ERROR_OPERATIONS",
    "CACHE_RESULTS",
    "FEED_OUTCOMES",
    "TOKEN_OUTCOMES",
    "UPSTREAM_OUTCOMES",
    "USER_DROP_REASONS",
    "FeedMetrics",
    "HttpFigures",
    "LabelledCounts",
    "Metrics",
]

# The label values the code uses (a test checks every `.labels("...")` literal is listed here).
CACHE_RESULTS = ("hit", "miss", "stale", "negative", "stale_if_error")
CACHE_ERROR_OPERATIONS = ("get", "set", "delete", "lock", "unlock")
# Besides these, the HTTP status of every answer the site gave ("200", "502", ...).
UPSTREAM_OUTCOMES = ("circuit_open", "retried", "deadline", "timeout", "unreachable", "too_large")
USER_DROP_REASONS = ("not_requested", "no_name", "bad_id")
FEED_OUTCOMES = ("applied", "malformed", "flood", "failed")
# The widget token's outcomes on its three routes (gettoken, issueChatToken, chatWidget; the
# GraphQL error code, lower-cased).
TOKEN_OUTCOMES = (
    "issued",
    "forbidden_origin",
    "rate_limited",
    "unauthenticated",
    "viewer_id_invalid",
    "upstream_unavailable",
)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpFigures:
    """Requests served, by route, method and status, and their latency by route."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        # Per route: the count in each bucket (the last one past every bound), then the sum.
        self._latency: dict[str, list[float]] = {}
        registry.register(self)

    def record(self, route: str, method: str, status: int, elapsed: float) -> None:
        key = (route, method, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        row = self._latency.get(route)
        if row is None:
            row = self._latency[route] = [0.0] * (len(_LATENCY_BUCKETS) + 2)
        row[bisect.bisect_left(_LATENCY_BUCKETS, elapsed)] += 1
        row[-1] += elapsed

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "adapter_http_requests",
            "HTTP requests served, by route template and status.",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in self._counts.items():
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "adapter_http_request_duration_seconds",
            "Time to serve an HTTP request, by route template.",
            labels=["route"],
        )
        for route, row in self._latency.items():
            cumulative = list(itertools.accumulate(row[:-1]))
            bounds = [*map(floatToGoString, _LATENCY_BUCKETS), "+Inf"]
            latency.add_metric([route], list(zip(bounds, cumulative, strict=True)), row[-1])
        yield latency


class LabelledCounts:
    """A counter with one label whose values are all known in advance, each from 0."""

    def __init__(
        self,
        registry: CollectorRegistry,
        name: str,
        documentation: str,
        label: str,
        values: Iterable[str],
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self.counts = dict.fromkeys(values, 0)
        registry.register(self)

    def add(self, value: str, amount: int = 1) -> None:
        """Count `amount` for `value`, one of the known values (KeyError otherwise)."""
        self.counts[value] += amount

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, count in self.counts.items():
            family.add_metric([value], count)
        yield family


@dataclass(frozen=True)
class FeedMetrics:
    up: Gauge
    holder: Gauge
    events: Counter


class Metrics:
    """Every figure the adapter exports, registered on its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.cache_requests = LabelledCounts(
            self.registry,
            "adapter_cache_requests",
            "Profile look-ups by cache result.",
            "result",
            CACHE_RESULTS,
        )
        self.cache_errors = self._counter(
            "adapter_cache_errors",
            "Cache backend operations that failed (the adapter failed open).",
            "operation",
            CACHE_ERROR_OPERATIONS,
        )
        self.local_invalidations = self._counter(
            "adapter_cache_local_invalidations",
            "Keys dropped from the local layer because another replica changed them.",
        )
        self.upstream_requests = self._counter(
            "adapter_upstream_requests",
            "HTTP requests to the site's GraphQL API by outcome.",
            "outcome",
            UPSTREAM_OUTCOMES,
        )
        self.answers_cut_short = self._counter(
            "adapter_upstream_answers_cut_short",
            "Users answers that looked cut short by a page size (fewer users than ids at a "
            "round page size, or a next page announced): their missing ids were not cached as "
            "unknown.",
        )
        self.upstream_latency = Histogram(
            "adapter_upstream_latency_seconds",
            "Latency of HTTP requests to the site's GraphQL API.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.http = HttpFigures(self.registry)
        self.users_dropped = self._counter(
            "adapter_users_dropped",
            "Upstream users left out of an answer, by reason.",
            "reason",
            USER_DROP_REASONS,
        )
        self.tokens = LabelledCounts(
            self.registry,
            "adapter_tokens",
            "Widget token requests by outcome.",
            "outcome",
            TOKEN_OUTCOMES,
        )

    def _counter(
        self, name: str, documentation: str, label: str | None = None, values: Iterable[str] = ()
    ) -> Counter:
        """A counter with at most one label, each of whose known `values` starts at 0."""
        counter = Counter(name, documentation, [label] if label else [], registry=self.registry)
        for value in values:
            counter.labels(value)
        return counter

    @functools.cached_property
    def invalidation_channel_up(self) -> Gauge:
        """Registered by the first replica channel that asks for it: a replica without one
        (memory cache, no local layer) exports no such series rather than a 0 that an alert on
        a channel down would read as an outage."""
        return Gauge(
            "adapter_cache_invalidation_channel_up",
            "1 while the replicas' invalidation channel is subscribed and answering, else 0 "
            "(local copies then live local_seconds only).",
            registry=self.registry,
        )

    @functools.cached_property
    def feed(self) -> FeedMetrics:
        """Registered by the change feed: a replica without one exports no such series."""
        events = self._counter(
            "adapter_feed_events",
            "Change feed events (or poll answers) by outcome; a flood marks every copy stale.",
            "outcome",
            FEED_OUTCOMES,
        )
        return FeedMetrics(
            up=Gauge(
                "adapter_feed_up",
                "1 while this replica follows the site's change feed, else 0 (alert on the max "
                "over replicas).",
                registry=self.registry,
            ),
            holder=Gauge(
                "adapter_feed_holder",
                "1 on the replica that holds the change feed's lease.",
                registry=self.registry,
            ),
            events=events,
        )
