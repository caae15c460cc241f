"""The cache's Prometheus figures at /metrics."""

from __future__ import annotations

from adapter.app import create_app
from tests.servers import DemoUpstream, refused_port
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client


async def test_metrics_count_cache_results_and_upstream_requests(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Misses, hits, negatives, upstream outcomes and latency appear at /metrics with counts."""
    app = create_app(redis_settings())
    async with asgi_client(app) as client:
        for _ in range(2):
            response = await client.get("/imbachat/v1/users?user_ids=1,2,999999", auth=CHAT_AUTH)
            assert response.status_code == 200
        text = (await client.get("/metrics")).text
    for sample in (
        'adapter_cache_requests_total{result="miss"} 3.0',
        'adapter_cache_requests_total{result="hit"} 2.0',
        'adapter_cache_requests_total{result="negative"} 1.0',
        'adapter_upstream_requests_total{outcome="200"} 1.0',
        "adapter_upstream_latency_seconds_count 1.0",
    ):
        assert sample in text


async def test_metrics_count_cache_errors_while_answering_from_upstream(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """With Redis unreachable the call still succeeds and the failure is counted."""
    dead = f"redis://127.0.0.1:{refused_port()}/0"
    app = create_app(redis_settings({"cache": {"redis": {"url": dead}}}))
    async with asgi_client(app) as client:
        response = await client.get("/imbachat/v1/users?user_ids=1", auth=CHAT_AUTH)
        text = (await client.get("/metrics")).text
    assert response.status_code == 200
    assert [user["user_id"] for user in response.json()] == [1]
    assert 'adapter_cache_errors_total{operation="get"} 1.0' in text
