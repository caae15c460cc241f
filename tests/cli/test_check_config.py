"""`imbachat-adapter check-config` through its command line: one exit code per problem class."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.commands import cli, environment, real_site, write_config
from tests.servers import DemoUpstream, refused_port


def check(config: Path, *extra: str, **env: str) -> tuple[int, str]:
    result = cli("check-config", "--config", str(config), *extra, env=environment(**env))
    return result.returncode, result.stdout + result.stderr


def test_reference_configuration_passes(tmp_path: Path) -> None:
    """The reference configuration (embedded demo, memory cache) passes every stage: exit 0."""
    code, output = check(write_config(tmp_path))
    assert code == 0, output
    assert "all checks passed" in output
    for stage in ("file", "environment", "values", "documents", "mapping", "upstream", "schema"):
        assert f"OK        {stage}" in output


def test_invalid_value_is_class_2(tmp_path: Path) -> None:
    """A value out of range exits 2, naming the setting's path."""
    config = write_config(tmp_path, {"upstream": {"batch": {"size": 0}}})
    code, output = check(config)
    assert code == 2
    assert "upstream.batch.size" in output


def test_missing_environment_variable_is_class_3_and_named_not_shown(tmp_path: Path) -> None:
    """An unset `${NAME}` exits 3 naming NAME; values of variables that are set never show."""
    config = write_config(tmp_path, {"chat": {"api_password": "${SITE_CHAT_PASSWORD}"}})
    code, output = check(config, IMBACHAT_API_LOGIN="login-value-7f3a9c")
    assert code == 3, output
    assert "chat.api_password: environment variable SITE_CHAT_PASSWORD is not set" in output
    assert "login-value-7f3a9c" not in output


def test_bad_operation_document_is_class_4(tmp_path: Path) -> None:
    """A document that does not parse exits 4 with its file and line."""
    config = write_config(tmp_path, own_documents=True)
    (tmp_path / "resolvers" / "search.graphql").write_text("query Search($query: String!) {\n  {\n")
    code, output = check(config)
    assert code == 4, output
    assert "search.graphql: line 2" in output


def test_unreachable_site_is_class_5(tmp_path: Path) -> None:
    """A site on a closed port exits 5; the schema stage is skipped, not failed."""
    config = write_config(tmp_path, real_site(f"http://127.0.0.1:{refused_port()}/graphql"))
    result = cli("check-config", "--config", str(config), env=environment())
    assert result.returncode == 5, result.stdout + result.stderr
    assert "cannot be reached" in result.stdout
    assert "SKIP" in result.stdout
    assert result.stderr == ""  # the report says it; the retries on the way are not repeated


def test_field_missing_from_the_site_schema_is_class_6(
    tmp_path: Path, demo_upstream: DemoUpstream
) -> None:
    """A document and a mapping that read a field the site's schema lacks exit 6, naming both."""
    config = write_config(
        tmp_path,
        {**real_site(demo_upstream.graphql_url), "mapping": {"fields": {"nick": "nickname"}}},
        own_documents=True,
    )
    for name in ("users.graphql", "search.graphql", "friends.graphql"):
        document = tmp_path / "resolvers" / name
        document.write_text(document.read_text().replace("  badge\n", "  badge\n  nickname\n", 1))
    code, output = check(config)
    assert code == 6, output
    assert "users (users.graphql): line" in output
    assert "Cannot query field 'nickname' on type 'User'" in output
    assert "mapping.fields.nick: reads 'nickname', but type User has no field 'nickname'" in output


def test_unreachable_cache_is_class_7(tmp_path: Path) -> None:
    """A Redis on a closed port exits 7, with its host and port but no credentials."""
    url = f"redis://:cache-password-91c2@127.0.0.1:{refused_port()}/0"
    code, output = check(write_config(tmp_path), IMBACHAT_CACHE_BACKEND="redis", REDIS_URL=url)
    assert code == 7, output
    assert "redis at 127.0.0.1" in output
    assert "cache-password-91c2" not in output


def test_help_documents_every_exit_code() -> None:
    """`check-config --help` lists the exit code of every problem class."""
    result = cli("check-config", "--help")
    assert result.returncode == 0
    for code in ("0", "2", "3", "4", "5", "6", "7", "8"):
        assert f"\n {code}  " in result.stdout


def test_token_api_off_warns_and_fails_strict(tmp_path: Path) -> None:
    """Without tokens, viewer and graphql the check warns (exit 0), and exits 8 with --strict."""
    config = write_config(tmp_path)
    data = yaml.safe_load(config.read_text())
    for section in ("tokens", "viewer", "graphql"):
        del data[section]
    config.write_text(yaml.safe_dump(data))
    code, output = check(config, "--offline")
    assert code == 0, output
    assert re.search(r"WARN\s+frontend\s+the token API is off", output)
    assert "all checks passed, with 1 warning (WARN above)" in output
    code, output = check(config, "--offline", "--strict")
    assert code == 8, output


def test_token_api_on_passes_strict(tmp_path: Path) -> None:
    """The reference configuration has the token API on: --strict exits 0."""
    code, output = check(write_config(tmp_path), "--offline", "--strict")
    assert code == 0, output
    assert re.search(
        r"OK\s+frontend\s+the token API is on at POST /graphql \(viewer: upstream\)", output
    )
