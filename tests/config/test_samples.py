"""Outside the embedded demo, sample and placeholder secrets are refused, naming each setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.cli import app_from_environment
from adapter.config import CONFIG_ENV_VAR, sample_value_problems
from adapter.config.samples import DEMO_WIDGET_SECRET
from adapter.errors import ConfigError
from tests.commands import cli, cli_process, environment, write_config
from tests.support import REFERENCE_CONFIG, SettingsFactory

SITE = {"upstream": {"embedded_demo": False, "url": "http://127.0.0.1:9/graphql"}}


def test_the_embedded_demo_may_use_the_samples(make_settings: SettingsFactory) -> None:
    """The reference configuration as shipped (the demo) has nothing to refuse."""
    assert sample_value_problems(make_settings()) == []


def test_a_real_site_with_the_samples_is_refused(make_settings: SettingsFactory) -> None:
    """root / abc and the demo widget secret are named, with the variable that replaces them."""
    problems = sample_value_problems(make_settings(SITE))
    assert [p.partition(":")[0] for p in problems] == ["chat.api_password", "tokens.secret_key"]
    assert "IMBACHAT_API_PASSWORD" in problems[0]
    assert "IMBACHAT_SECRET_KEY" in problems[1]


def test_placeholders_are_refused_wherever_they_are(make_settings: SettingsFactory) -> None:
    """A `REPLACE-...` value in any setting, secret or not, is named by its path."""
    problems = sample_value_problems(
        make_settings(
            {**SITE, "upstream": {**SITE["upstream"], "headers": {"X-Key": "REPLACE-me"}}},
            IMBACHAT_API_PASSWORD="REPLACE-api-password",
            IMBACHAT_SECRET_KEY="a-real-enough-widget-secret-key-0123456789",
            IMBACHAT_WIDGET_ID="REPLACE-widget-id",
        )
    )
    assert sorted(p.partition(":")[0] for p in problems) == [
        "chat.api_password",
        "chat.widget_id",
        "upstream.headers.X-Key",
    ]
    assert all("REPLACE-me" not in p and "api-password" not in p for p in problems)


def test_the_demo_secret_is_the_reference_configurations_default() -> None:
    """The refused demo secret is the one config.yaml falls back to, so the two cannot drift."""
    assert f"${{IMBACHAT_SECRET_KEY:-{DEMO_WIDGET_SECRET}}}" in REFERENCE_CONFIG.read_text()


def test_serve_and_check_config_refuse_the_samples(tmp_path: Path) -> None:
    """`serve` exits 2 before listening and `check-config` fails, both naming the setting."""
    config = write_config(tmp_path, SITE)
    served = cli_process("serve", "--config", str(config), "--port", "1", env=environment())
    assert served.returncode == 2
    assert "chat.api_password: is the vendor's sample password" in served.stderr
    checked = cli("check-config", "--offline", "--config", str(config), env=environment())
    assert checked.returncode == 2
    assert "tokens.secret_key: is the reference configuration's demo secret" in checked.stdout


def test_worker_processes_refuse_the_samples_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --workers N` builds each worker's app from the file: it refuses them as well."""
    monkeypatch.setenv(CONFIG_ENV_VAR, str(write_config(tmp_path, SITE)))
    with pytest.raises(ConfigError, match=r"chat\.api_password: is the vendor's sample password"):
        app_from_environment()
