"""From `init` to `check-config`: the environment file init writes is all the next commands need.

Each test runs the real commands in a fresh folder against the demo upstream, the way a
newcomer follows the printed steps.
"""

from __future__ import annotations

import re
import secrets
import shlex
from pathlib import Path

import pytest

from tests.commands import cli, environment
from tests.servers import DemoUpstream

_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def _listed(env_file: Path) -> dict[str, str]:
    """The variables `env_file` assigns (its commented-out optional ones are not)."""
    found = {}
    for line in env_file.read_text().splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def _filled(names: list[str], *, header_value: str) -> dict[str, str]:
    """A value for each variable, as an operator fills them in from imbachat.com."""
    values = {
        "IMBACHAT_API_LOGIN": "site-chat",
        "IMBACHAT_API_PASSWORD": secrets.token_urlsafe(18),
        "IMBACHAT_WIDGET_ID": "4711",
        "IMBACHAT_SECRET_KEY": secrets.token_urlsafe(40),
    }
    return {name: values.get(name, header_value) for name in names}


@pytest.fixture(scope="module")
def written(demo_upstream_process: DemoUpstream, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`init --yes` against the demo, with a site header; the folder it wrote into (the tests
    only read it)."""
    tmp_path = tmp_path_factory.mktemp("init")
    done = cli(
        "init",
        *("--upstream", demo_upstream_process.graphql_url, "--yes", "-H", "X-Site-Key: k"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "throwaway values for IMBACHAT_API_LOGIN, IMBACHAT_API_PASSWORD" in done.stdout
    next_steps = done.stdout[done.stdout.index("\nNext:") :]
    config = shlex.quote(str(tmp_path / "config.yaml"))
    assert f"imbachat-adapter check-config --config {config}\n" in next_steps
    assert f"imbachat-adapter serve --config {config}" in next_steps
    return tmp_path


def test_check_config_passes_with_the_listed_variables(written: Path) -> None:
    """Set as `.env.example` lists them, `check-config` passes straight after `init` (exit 0)."""
    listed = _listed(written / ".env.example")
    assert sorted(listed) == [
        "IMBACHAT_API_LOGIN",
        "IMBACHAT_API_PASSWORD",
        "IMBACHAT_SECRET_KEY",
        "IMBACHAT_UPSTREAM_X_SITE_KEY",
        "IMBACHAT_WIDGET_ID",
    ]
    assert set(listed.values()) == {""}  # nothing to deploy with by mistake
    text = (written / ".env.example").read_text()
    assert text.count("imbachat.com") >= 4  # where to find each of the chat's values
    env = environment(**_filled(list(listed), header_value="k"))
    done = cli("check-config", "--config", str(written / "config.yaml"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout


def test_check_config_names_each_unset_variable_once(written: Path) -> None:
    """With nothing set, each variable is one line: no "must be at least 32 bytes" after it."""
    done = cli("check-config", "--config", str(written / "config.yaml"), env=environment())
    assert done.returncode == 3, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if "FAIL" in line]
    assert len(failed) == len(_listed(written / ".env.example")), done.stdout
    assert all("is not set" in line for line in failed), done.stdout


def test_each_command_asks_only_for_what_it_uses(written: Path) -> None:
    """`users` needs no token settings nor chat login; `token` needs the secret key, only."""
    config = str(written / "config.yaml")
    site = environment(IMBACHAT_UPSTREAM_X_SITE_KEY="k")
    users = cli("users", "1,2", "--json", "--config", config, env=site)
    assert users.returncode == 0, users.stderr
    assert '"user_id":1' in users.stdout
    token = cli("token", "--user-id", "1", "--config", config, env=environment())
    assert token.returncode == 2
    assert token.stderr.splitlines()[1:2] == [
        "  tokens.secret_key: environment variable IMBACHAT_SECRET_KEY is not set"
    ]
    key = environment(IMBACHAT_SECRET_KEY=secrets.token_urlsafe(40))
    token = cli("token", "--user-id", "1", "--config", config, env=key)
    assert token.returncode == 0, token.stderr
    assert token.stdout.count(".") == 2  # a JWT
