"""Against a real misbehaving site: a total deadline per call, a budget spent only on retries that
happen, and one readable log line per failed call."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from adapter.config import UpstreamSettings
from adapter.errors import UpstreamStatusError, UpstreamUnavailable
from adapter.metrics import Metrics
from adapter.runtime import set_library_state
from adapter.upstream import UpstreamClient
from tests.sites import misbehaving_site
from tests.support import sample

pytestmark = [pytest.mark.faults, pytest.mark.slow]

QUERY = "query Q($ids: [ID!]!) { users(ids: $ids) { id } }"
VARIABLES = {"ids": ["1"]}


def settings(url: str, **overrides: Any) -> UpstreamSettings:
    data: dict[str, Any] = {
        "url": url,
        "retry": {"attempts": 3, "backoff_initial": 0, "backoff_max": 0},
        "breaker": {"failure_threshold": 100},
    }
    data.update(overrides)
    return UpstreamSettings.model_validate(data)


def retried(metrics: Metrics) -> float:
    return sample(metrics, "adapter_upstream_requests_total", outcome="retried")


def test_the_default_deadline_is_derived_from_timeouts_and_attempts() -> None:
    """Unset, the deadline is attempts x (connect + read) plus the backoffs between attempts."""
    derived = settings("http://site.test/graphql", retry={"attempts": 3, "backoff_max": 1})
    assert derived.total_deadline() == 3 * (2.0 + 5.0) + 2 * 1
    given = settings("http://site.test/graphql", timeouts={"total": 4})
    assert given.total_deadline() == 4


async def test_a_dripping_site_is_cut_off_at_the_deadline_and_frees_its_slot() -> None:
    """Headers then a byte at a time: the call ends at the total deadline, once, slot freed."""
    async with misbehaving_site() as site:
        options = settings(site.url, timeouts={"read": 2, "total": 0.5}, max_concurrency=1)
        async with UpstreamClient(options, metrics=Metrics()) as client:
            site.drip(every=0.05, length=200)
            with capture_logs() as logs, pytest.raises(UpstreamUnavailable, match=r"within 0\.5 s"):
                await client.execute(QUERY, VARIABLES)
            assert site.requests == 1  # the deadline is for the call, not per attempt
            failures = [e for e in logs if e["event"] == "upstream_call_failed"]
            assert [(e["cause"], e["attempts"]) for e in failures] == [
                ("the site's GraphQL API did not answer within 0.5 s", 1)
            ]
            site.behave()
            # With one slot, this answers only if the cut-off call gave its slot back.
            result = await client.execute(QUERY, VARIABLES)
            assert result.data == {"users": [{"id": "1"}]}


async def test_the_last_attempt_does_not_spend_the_retry_budget() -> None:
    """attempts=2, budget_reserve=2: two failing calls both retry once (four requests)."""
    async with misbehaving_site() as site:
        options = settings(
            site.url,
            retry={
                "attempts": 2,
                "budget_ratio": 0,
                "budget_reserve": 2,
                "backoff_initial": 0,
                "backoff_max": 0,
            },
        )
        metrics = Metrics()
        async with UpstreamClient(options, metrics=metrics) as client:
            site.answer_with(b'{"error":"busy"}', status=503)
            for _ in range(2):
                with pytest.raises(UpstreamStatusError):
                    await client.execute(QUERY, VARIABLES)
            assert site.requests == 4
            assert retried(metrics) == 2
            assert client.budget.tokens == 0


@pytest.mark.usefixtures("json_logs")
async def test_a_failed_call_logs_one_readable_line() -> None:
    """A site answering 503 gives one line with the cause and the attempts, no retry internals
    (stamina's own retry hook is taken off by the composition root: `set_library_state`)."""
    set_library_state()
    async with (
        misbehaving_site() as site,
        UpstreamClient(settings(site.url), metrics=Metrics()) as client,
    ):
        site.answer_with(b"{}", status=503)
        with capture_logs() as logs, pytest.raises(UpstreamStatusError):
            await client.execute(QUERY, VARIABLES)
    assert [(e["event"], e.get("cause"), e.get("attempts")) for e in logs] == [
        ("upstream_call_failed", "the site's GraphQL API answered HTTP 503", 3)
    ]
