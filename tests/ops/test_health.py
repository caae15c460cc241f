"""/healthz, /readyz and /metrics, and the request id and access line of every request."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapter.app import create_app
from adapter.logs import configure_logging
from adapter.web import health
from tests.servers import refused_port
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_says_alive(make_settings: SettingsFactory) -> None:
    """/healthz answers 200 JSON without asking the site or the cache."""
    async with asgi_client(create_app(make_settings())) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_ready_with_site_and_cache(make_settings: SettingsFactory) -> None:
    """With the site and the cache answering, /readyz is 200 and every check is ok."""
    async with asgi_client(create_app(make_settings())) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"config": "ok", "upstream": "ok", "cache": "ok"},
    }


async def test_readyz_not_ready_when_the_site_is_down(make_settings: SettingsFactory) -> None:
    """A site on a closed port makes /readyz 503 with the reason; the cache is still checked."""
    settings = make_settings(
        {
            "upstream": {
                "embedded_demo": False,
                "url": f"http://127.0.0.1:{refused_port()}/graphql",
                "retry": {"attempts": 1},
            }
        }
    )
    async with asgi_client(create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["upstream"].startswith(
        "failing: the site's GraphQL API cannot be reached"
    )
    assert body["checks"]["cache"] == "ok"


async def test_readyz_ready_but_degraded_without_redis(make_settings: SettingsFactory) -> None:
    """A Redis that does not answer leaves the replica ready, with the cache marked degraded."""
    settings = make_settings(
        IMBACHAT_CACHE_BACKEND="redis", REDIS_URL=f"redis://127.0.0.1:{refused_port()}/0"
    )
    async with asgi_client(create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == "degraded"


async def test_metrics_count_requests_by_route_and_status(make_settings: SettingsFactory) -> None:
    """/metrics counts requests by route template and status, with latency, site and cache data."""
    async with asgi_client(create_app(make_settings())) as client:
        await client.get("/imbachat/v1/users?user_ids=1,2", auth=CHAT_AUTH)
        await client.get("/imbachat/v1/users?user_ids=1,2", auth=CHAT_AUTH)
        await client.get("/imbachat/v1/getusers/3,4", auth=CHAT_AUTH)
        await client.get("/imbachat/v1/users?user_ids=1", auth=("root", "wrong"))
        await client.get("/nowhere")
        page = (await client.get("/metrics")).text
    found = samples(page)
    users = "/imbachat/v1/users"
    key = (("method", "GET"), ("route", users), ("status", "200"))
    assert found[("adapter_http_requests_total", key)] == 2
    key = (("method", "GET"), ("route", users), ("status", "401"))
    assert found[("adapter_http_requests_total", key)] == 1
    key = (("method", "GET"), ("route", "/imbachat/v1/getusers/{user_ids}"), ("status", "200"))
    assert found[("adapter_http_requests_total", key)] == 1
    key = (("method", "GET"), ("route", "(unmatched)"), ("status", "404"))
    assert found[("adapter_http_requests_total", key)] == 1
    assert found[("adapter_http_request_duration_seconds_count", (("route", users),))] == 3
    # Two cold ids, then two warm ones, then two cold again: the site was asked twice.
    assert found[("adapter_cache_requests_total", (("result", "miss"),))] == 4
    assert found[("adapter_cache_requests_total", (("result", "hit"),))] == 2
    assert found[("adapter_upstream_requests_total", (("outcome", "200"),))] == 2
    assert found[("adapter_upstream_latency_seconds_count", ())] == 2
    assert "# TYPE adapter_tokens_total counter" in page


async def test_unknown_methods_share_one_label(make_settings: SettingsFactory) -> None:
    """A made-up HTTP method is counted as OTHER, so clients cannot grow the label set."""
    async with asgi_client(create_app(make_settings())) as client:
        await client.request("BREW", "/healthz")
        page = (await client.get("/metrics")).text
    assert 'adapter_http_requests_total{method="OTHER",route="/healthz",status="405"} 1.0' in page


async def test_request_id_is_echoed_or_made(make_settings: SettingsFactory) -> None:
    """A caller's X-Request-Id is echoed; a missing or oversized one is replaced by a fresh id."""
    async with asgi_client(create_app(make_settings())) as client:
        given = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
        oversized = await client.get("/healthz", headers={"X-Request-Id": "x" * 65})
        missing = await client.get("/healthz")
    assert given.headers["x-request-id"] == "abc-123"
    assert len(oversized.headers["x-request-id"]) == 32
    assert len(missing.headers["x-request-id"]) == 32
    assert missing.headers["x-request-id"] != oversized.headers["x-request-id"]


@pytest.mark.usefixtures("restore_logging")
async def test_one_access_line_per_request(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each request logs one JSON line with its id, route, status, duration and ids count;
    probes at debug level."""
    configure_logging("debug")
    async with asgi_client(create_app(make_settings())) as client:
        capsys.readouterr()
        chat = await client.get("/imbachat/v1/getusers/1,2,3", auth=CHAT_AUTH)
        await client.get("/healthz")
        logged = capsys.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines()]
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) == 2
    first, probe = requests
    assert first["level"] == "info"
    assert first["request_id"] == chat.headers["x-request-id"]
    assert first["route"] == "/imbachat/v1/getusers/{user_ids}"
    assert first["status"] == 200
    assert first["ids"] == 3
    assert first["duration_ms"] >= 0
    assert probe["level"] == "debug"


async def test_readiness_gives_up_on_a_hanging_site(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site that never answers makes /readyz 503 after READY_TIMEOUT, saying so."""

    async def hang(_: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    monkeypatch.setattr(health, "READY_TIMEOUT", 0.05)
    app = create_app(make_settings(), upstream_transport=httpx.MockTransport(hang))
    async with asgi_client(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["upstream"] == "failing: no answer within 0.05s"
