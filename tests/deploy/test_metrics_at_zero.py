"""Counters with a known label set exist at 0 from start, so alert rules have a series to read."""

from __future__ import annotations

import ast

from adapter.app import create_app
from adapter.metrics import (
    CACHE_ERROR_OPERATIONS,
    CACHE_RESULTS,
    TOKEN_OUTCOMES,
    UPSTREAM_OUTCOMES,
    USER_DROP_REASONS,
)
from tests.support import ROOT, SettingsFactory, asgi_client

# The attribute of `Metrics` each label set belongs to, and its exported name.
KNOWN = {
    "cache_requests": ("adapter_cache_requests_total", "result", CACHE_RESULTS),
    "cache_errors": ("adapter_cache_errors_total", "operation", CACHE_ERROR_OPERATIONS),
    "upstream_requests": ("adapter_upstream_requests_total", "outcome", UPSTREAM_OUTCOMES),
    "users_dropped": ("adapter_users_dropped_total", "reason", USER_DROP_REASONS),
    "tokens": ("adapter_tokens_total", "outcome", TOKEN_OUTCOMES),
}


def labels_used_in_the_package() -> dict[str, set[str]]:
    """Every `<metrics>.<counter>.labels("literal")` (prometheus_client) and
    `<metrics>.<counts>.add("literal", ...)` (`LabelledCounts`) in adapter/, by attribute."""
    used: dict[str, set[str]] = {name: set() for name in KNOWN}
    for path in (ROOT / "adapter").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("labels", "add")
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr in KNOWN
                and node.args
            ):
                continue
            labels = node.args if node.func.attr == "labels" else node.args[:1]
            for argument in labels:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    used[node.func.value.attr].add(argument.value)
    return used


def test_every_label_literal_in_the_package_is_initialised() -> None:
    """A label value the code counts is in the list metrics.py starts at 0 (add it there)."""
    used = labels_used_in_the_package()
    assert used["cache_requests"] >= {"hit", "stale_if_error"}  # the scan finds the calls
    missing = {name: values - set(KNOWN[name][2]) for name, values in used.items()}
    assert missing == {name: set() for name in KNOWN}


def test_the_directory_counts_only_known_cache_results() -> None:
    """The results the directory counts in a loop over (result, count) pairs are known."""
    tree = ast.parse((ROOT / "adapter" / "directory.py").read_text())
    counted = {
        pair.elts[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.For)
        and isinstance(node.iter, ast.Tuple)
        and isinstance(node.target, ast.Tuple)
        and isinstance(node.target.elts[0], ast.Name)
        and node.target.elts[0].id == "result"
        for pair in node.iter.elts
        if isinstance(pair, ast.Tuple)
        and isinstance(pair.elts[0], ast.Constant)
        and isinstance(pair.elts[0].value, str)
    }
    assert "miss" in counted
    assert counted <= set(CACHE_RESULTS)


async def test_a_fresh_app_exports_every_known_series_at_zero(
    make_settings: SettingsFactory,
) -> None:
    """Before any request, /metrics has each known label value at 0, stale_if_error included."""
    async with asgi_client(create_app(make_settings())) as client:
        page = (await client.get("/metrics")).text
    for name, label, values in KNOWN.values():
        for value in values:
            assert f'{name}{{{label}="{value}"}} 0.0' in page, (name, value)
    assert 'adapter_cache_requests_total{result="stale_if_error"} 0.0' in page


async def test_no_channel_no_channel_gauge(make_settings: SettingsFactory) -> None:
    """With the memory cache there is no invalidation channel, so no
    adapter_cache_invalidation_channel_up series for the channel-down alert to read as 0."""
    async with asgi_client(create_app(make_settings({"cache": {"backend": "memory"}}))) as client:
        page = (await client.get("/metrics")).text
    assert "adapter_cache_invalidation_channel_up" not in page
