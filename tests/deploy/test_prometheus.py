"""deploy/prometheus and deploy/grafana: promtool checks and unit-tests the alert rules, and every
metric, label and label value the rules and the dashboard name is one a real adapter exports."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from adapter.app import create_app
from tests.deploy.support import DEPLOY, deb_tool
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts.test.yaml"
DASHBOARD = DEPLOY / "grafana" / "dashboard.json"
# A metric name followed by its selector (or by nothing).
_SELECTOR = re.compile(r"\b(adapter_[a-z0-9_]+)(?:\{([^}]*)\})?")
_EXACT = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
# Labels Prometheus adds when it scrapes (the adapter never exports them).
_TARGET_LABELS = {"job", "instance"}


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(deb_tool("promtool")), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def test_promtool_checks_the_rules() -> None:
    """`promtool check rules` accepts alerts.yaml."""
    result = _promtool("check", "rules", str(ALERTS), cwd=DEPLOY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    """`promtool test rules alerts.test.yaml`: each alert fires on its case and not on its near
    miss."""
    result = _promtool("test", "rules", ALERT_TESTS.name, cwd=ALERT_TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    """Every alert in alerts.yaml is expected to fire somewhere in alerts.test.yaml."""
    rules = yaml.safe_load(ALERTS.read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert alerts == fired


def _expressions() -> dict[str, list[str]]:
    """The PromQL of every rule and every dashboard panel, by file name."""
    rules = yaml.safe_load(ALERTS.read_text())
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    variables = [
        variable["definition"]
        for variable in dashboard["templating"]["list"]
        if "definition" in variable
    ]
    return {
        ALERTS.name: [rule["expr"] for group in rules["groups"] for rule in group["rules"]],
        DASHBOARD.name: panels + variables,
    }


def _used() -> set[tuple[str, str, str, str]]:
    """(file, metric, label, value) for every metric named, with each exact label match."""
    used: set[tuple[str, str, str, str]] = set()
    for source, expressions in _expressions().items():
        for expression in expressions:
            for metric, selector in _SELECTOR.findall(expression):
                used.add((source, metric, "", ""))
                for label, value in _EXACT.findall(selector or ""):
                    if label not in _TARGET_LABELS:
                        used.add((source, metric, label, value))
    return used


@pytest.fixture
def scraped(
    make_settings: SettingsFactory, redis_url: str, redis_prefix: str
) -> set[tuple[str, str, str]]:
    """(sample name, label, value) of the adapter's /metrics after a few requests: with Redis
    and the local layer, so the invalidation channel's gauge is there too."""
    settings = make_settings(
        {"cache": {"backend": "redis", "prefix": redis_prefix, "redis": {"url": redis_url}}}
    )

    async def scrape() -> str:
        async with asgi_client(create_app(settings)) as client:
            users = await client.get("/imbachat/v1/users?user_ids=1,2", auth=CHAT_AUTH)
            assert users.status_code == 200
            assert (await client.get("/readyz")).status_code == 200
            return (await client.get("/metrics")).text

    page = asyncio.run(scrape())
    found: set[tuple[str, str, str]] = set()
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found.add((sample.name, "", ""))
            for label, value in sample.labels.items():
                found.add((sample.name, label, ""))
                found.add((sample.name, label, value))
    return found


def test_the_rules_and_dashboard_name_only_what_the_adapter_exports(
    scraped: set[tuple[str, str, str]],
) -> None:
    """A renamed metric, label or label value (stale_if_error, circuit_open, /readyz...) that
    alerts.yaml or dashboard.json still uses fails here."""
    used = _used()
    assert {metric for _, metric, _, _ in used} >= {
        "adapter_cache_requests_total",
        "adapter_upstream_requests_total",
        "adapter_cache_invalidation_channel_up",
    }
    missing = sorted(
        f"{source}: {metric}" + (f'{{{label}="{value}"}}' if label else "")
        for source, metric, label, value in used
        if (metric, label, value) not in scraped
    )
    assert missing == []
