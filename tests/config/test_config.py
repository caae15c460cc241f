"""Configuration: YAML in, validated settings out, or every problem listed with its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adapter.config import (
    ConfigFile,
    EnvironmentOverrides,
    Settings,
    build_settings,
    load_settings,
    settings_from_mapping,
)
from adapter.errors import ConfigError
from tests.support import REFERENCE_CONFIG, ROOT, deep_merge, reference_data

MINIMAL: dict[str, Any] = {
    "chat": {"api_login": "root", "api_password": "abc"},
    "upstream": {"url": "https://site.example/graphql"},
    "mapping": {"fields": {"name": "username"}},
}


def problems(data: Any, **environ: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data, environ=environ)
    return caught.value.problems


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_reference_config_loads_without_environment() -> None:
    """The shipped config.yaml is valid as is, with the demo defaults."""
    settings = load_settings(REFERENCE_CONFIG, environ={})
    assert settings.upstream.embedded_demo
    assert settings.chat.api_login.get_secret_value() == "root"
    assert settings.base_dir == ROOT


def test_environment_values_are_interpolated() -> None:
    """`${VAR}` and `${VAR:-default}` take values from the environment, `$$` is a dollar."""
    data = deep_merge(
        MINIMAL,
        {
            "chat": {"api_password": "${PW}", "product_name": "$${literal}"},
            "upstream": {"headers": {"Authorization": "Bearer ${TOKEN:-none}"}},
        },
    )
    settings = settings_from_mapping(data, environ={"PW": "s3cret"})
    assert settings.chat.api_password.get_secret_value() == "s3cret"
    assert settings.chat.product_name == "${literal}"
    assert settings.upstream.headers["Authorization"].get_secret_value() == "Bearer none"


def test_missing_environment_variable_is_named() -> None:
    """A `${VAR}` without a default and without the variable is a problem naming both."""
    data = deep_merge(MINIMAL, {"chat": {"api_password": "${IMBACHAT_PW}"}})
    assert "chat.api_password: environment variable IMBACHAT_PW is not set" in problems(data)


def test_environment_overrides_beat_the_file() -> None:
    """`IMBACHAT__SECTION__KEY` overrides a setting, parsed as YAML."""
    settings = settings_from_mapping(
        MINIMAL,
        environ={
            "IMBACHAT__UPSTREAM__BATCH__SIZE": "7",
            "IMBACHAT__CACHE__BACKEND": "redis",
            "IMBACHAT__CHAT__IDS__TYPE": "str",
            "IMBACHAT__CACHE__PREFIX": "site-a:",
            "IMBACHAT__CHAT__PRODUCT_NAME": "a: b",
            "IMBACHAT__UPSTREAM__HEADERS": "{X-Site: main}",
            "IMBACHAT__": "ignored",
        },
    )
    assert settings.upstream.batch.size == 7
    assert settings.cache.backend == "redis"
    assert settings.chat.ids.type == "str"
    assert settings.cache.prefix == "site-a:"
    assert settings.chat.product_name == "a: b"
    assert settings.upstream.headers["X-Site"].get_secret_value() == "main"


def test_the_file_is_a_settings_source_that_the_overrides_beat() -> None:
    """The file's source fills its `${VAR}` references once, from the environment the overrides
    read too, and tells what it referenced and found unset; the overrides beat it."""
    data = deep_merge(
        MINIMAL,
        {"chat": {"api_login": "${LOGIN}", "api_password": "${PW:-pw}", "prefix": "${P}"}},
    )
    environ = {"LOGIN": "from-file", "IMBACHAT__CHAT__API_LOGIN": "from-env"}
    file = ConfigFile(Settings, data, environ=environ)
    assert file.names == {"LOGIN": None, "PW": "pw", "P": None}
    assert file.problems == ["chat.prefix: environment variable P is not set"]
    with pytest.raises(ConfigError) as caught:
        build_settings(file)
    assert caught.value.problems == file.problems
    file = ConfigFile(Settings, data, environ={**environ, "P": "/chat"})
    settings = build_settings(file)
    assert settings.chat.api_login.get_secret_value() == "from-env"
    assert settings.chat.api_password.get_secret_value() == "pw"


def test_an_override_that_is_not_yaml_is_a_problem_of_its_setting() -> None:
    """A list or mapping override that does not parse is refused, named by its path."""
    found = problems(
        MINIMAL,
        IMBACHAT__UPSTREAM__HEADERS="{bad",
        IMBACHAT__GRAPHQL__CORS__ALLOWED_ORIGINS="[x",
        IMBACHAT__BOGUS="1",
    )
    assert "upstream.headers: Input should be a valid dictionary" in found
    assert "graphql.cors.allowed_origins: Input should be a valid list" in found
    assert "bogus: unknown key" in found


def test_a_source_that_fails_is_a_problem_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should pydantic-settings' environment source fail on a value, the loader still answers
    with a ConfigError that names the setting and not the value."""

    def fail(*_: object) -> object:
        raise ValueError("s3cret-value")

    monkeypatch.setattr(EnvironmentOverrides, "decode_complex_value", fail)
    found = problems(MINIMAL, IMBACHAT__UPSTREAM__HEADERS="{X-Key: s3cret-value}")
    assert len(found) == 1
    assert '"upstream"' in found[0]
    assert "s3cret-value" not in found[0]


def test_every_problem_is_listed_with_its_path() -> None:
    """One report lists all problems, each as `path: what is wrong`."""
    data = deep_merge(
        MINIMAL,
        {
            "chat": {"api_login": "", "bogus": 1, "prefix": "no-slash"},
            "upstream": {"batch": {"size": 0, "strategy": "magic"}},
            "mapping": {"fields": {"avatar_url": {"path": "a", "const": 1}, "x": [1]}},
        },
    )
    found = problems(data)
    assert "chat.api_login: must not be empty: an empty credential would let anyone in" in found
    assert "chat.bogus: unknown key" in found
    assert "chat.prefix: must start with '/' and not end with '/'" in found
    assert "upstream.batch.size: Input should be greater than 0" in found
    assert any(
        p.startswith("upstream.batch.strategy: Input should be 'list' or 'alias'") for p in found
    )
    assert (
        "mapping.fields.avatar_url: give exactly one of path, template, const, first_of "
        "(got path, const)" in found
    )
    assert any(
        p.startswith("mapping.fields.x[0]: must be a path or template string") for p in found
    )


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"upstream": {"url": None}}, "upstream: set `url`"),
        ({"upstream": {"url": "ftp://x"}}, "upstream: url must be an http(s) URL"),
        ({"mapping": {"fields": {"avatar_url": "a"}}}, None),
        ({"mapping": {"fields": {"user_id": "id", "name": "n"}}}, "mapping.fields: user_id cannot"),
        ({"cache": {"fresh_seconds": 10, "stale_seconds": 10, "keep_seconds": 5}}, "cache: keep"),
        ({"chat": {"ids": {"str_pattern": "("}}}, "chat.ids.str_pattern: not a regular expression"),
        (
            {"mapping": {"profiles": {"path": "p", "fields": {"name": "n"}}}},
            "mapping.profiles.fields: sub-profiles need user_id",
        ),
        ({"mapping": {"fields": {"avatar_url": {"convert": "or_false"}}}}, "give exactly one"),
    ],
)
def test_semantic_checks(override: dict[str, Any], expected: str | None) -> None:
    """Values that parse but cannot work are refused with a message that says why."""
    data = deep_merge(MINIMAL, override)
    if expected is None:
        settings_from_mapping(data, environ={})
        return
    found = problems(data)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_a_number_that_is_not_finite_is_refused(tmp_path: Path, value: str) -> None:
    """YAML's `.inf` would switch a timeout or a backoff bound off without saying so."""
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(deep_merge(MINIMAL, {"upstream": {"timeouts": {"read": 1.0}}})).replace(
            "read: 1.0", f"read: {value}"
        )
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "upstream.timeouts.read: Input should be a finite number" in caught.value.problems


def test_name_is_required() -> None:
    """A mapping without `name` is refused: the chat cannot show a user without one."""
    data = deep_merge(MINIMAL, {})
    data["mapping"] = {"fields": {"avatar_url": "a"}}
    assert any("`name` is required" in p for p in problems(data))


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    """A file holding a list is refused; an empty file lists the missing sections."""
    assert problems(["a"]) == ["(top level): must be a mapping of sections"]
    missing = problems(None)
    assert {"chat: Field required", "upstream: Field required", "mapping: Field required"} <= set(
        missing
    )


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    """Broken YAML is reported with its position, not a traceback."""
    path = tmp_path / "config.yaml"
    path.write_text("chat:\n  api_login: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0].startswith("line ")


# Nine levels of nine aliases each: 387,420,489 values from ten lines.
ALIAS_BOMB = "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}' if level else '1'] * 9)}]\n"
    for level in range(9)
)


@pytest.mark.parametrize("text", [ALIAS_BOMB, "a: &a [*a]\n"], ids=["billion laughs", "cycle"])
def test_yaml_aliases_that_never_end_are_refused_at_once(tmp_path: Path, text: str) -> None:
    """Aliases that stand for billions of values, or for endless ones, are one problem at the
    top level, found before any variable is filled in (which would never end)."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.problems == [
        "(top level): more than 100000 values once its YAML aliases are expanded "
        "(an alias repeats everything its anchor names)"
    ]


def test_an_override_that_expands_past_the_bound_is_a_problem_of_its_setting() -> None:
    """The same bound holds for a value written in YAML in an override (here JSON constants,
    which the model would otherwise walk value by value)."""
    bomb = "{" + ALIAS_BOMB.replace("\n", ", ") + "}"
    found = problems(reference_data(), IMBACHAT__UPSTREAM__OPERATIONS__USERS__VARIABLES=bomb)
    assert [p for p in found if p.startswith("upstream.operations.users.variables")], found


@pytest.mark.parametrize("key", [1, None, True])
def test_a_section_named_by_a_number_or_null_is_an_unknown_key(key: Any) -> None:
    """YAML keys need not be text; one at the top level is an unknown section, not a crash."""
    assert f"{key}: unknown key" in problems({**reference_data(), key: 2})


def test_missing_file_names_its_absolute_path_and_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing file is a ConfigError naming where it looked, in full, and what writes one."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings("nope.yaml")
    assert caught.value.problems == [
        f"no configuration at {tmp_path / 'nope.yaml'}: `imbachat-adapter init --upstream "
        "<your site's GraphQL URL>` writes one (or pass --config)"
    ]


def test_unreadable_file_names_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that cannot be read (here a folder) is named by its absolute path."""
    (tmp_path / "config.yaml").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings("config.yaml")
    assert caught.value.problems == [f"cannot read {tmp_path / 'config.yaml'}: Is a directory"]


def test_an_unset_variable_is_one_problem() -> None:
    """An unset `${VAR}` is reported once, not again as the empty value's invalidity."""
    data = deep_merge(MINIMAL, {"tokens": {"secret_key": "${KEY}"}, "chat": {"api_login": "${L}"}})
    assert problems(data) == [
        "chat.api_login: environment variable L is not set",
        "tokens.secret_key: environment variable KEY is not set",
    ]


def test_unused_settings_need_no_variables() -> None:
    """Settings a caller leaves out are not validated, nor are the variables they name."""
    data = deep_merge(
        MINIMAL,
        {"tokens": {"secret_key": "${KEY}"}, "chat": {"api_password": "${PW}"}},
    )
    settings = settings_from_mapping(
        data,
        environ={"IMBACHAT__TOKENS__SECRET_KEY": "short"},
        unused=("tokens", "chat.api_password"),
    )
    assert settings.tokens is None
    assert settings.chat.api_login.get_secret_value() == "root"


def test_relative_documents_resolve_from_the_file(tmp_path: Path) -> None:
    """Operation documents are found relative to the configuration file's folder."""
    path = write(tmp_path, MINIMAL)
    settings = load_settings(path, environ={})
    assert settings.resolve(Path("resolvers/users.graphql")) == tmp_path / "resolvers/users.graphql"
    assert settings.resolve(Path("/abs.graphql")) == Path("/abs.graphql")


def test_secrets_never_appear_in_the_report() -> None:
    """A bad configuration's report does not echo the secret values it holds."""
    data = deep_merge(reference_data(), {"chat": {"api_password": "hunter2-secret", "x": 1}})
    report = "\n".join(problems(data))
    assert "hunter2-secret" not in report


def test_feed_is_off_unless_given_and_checked_when_given() -> None:
    """`feed:` is optional; a subscription defaults to the upstream URL as ws(s)://, a poll needs
    its cursor, and the embedded demo's is reached in-process with no URL."""
    assert settings_from_mapping(MINIMAL, environ={}).feed is None
    feed = {"kind": "subscription", "document": "resolvers/feed.graphql"}
    settings = settings_from_mapping({**MINIMAL, "feed": feed}, environ={})
    assert settings.feed is not None
    assert settings.feed.websocket_url(settings.upstream.url) == "wss://site.example/graphql"
    poll = {"kind": "poll", "document": "resolvers/changed.graphql"}
    assert any("cursor" in p for p in problems({**MINIMAL, "feed": poll}))
    embedded = {**MINIMAL, "upstream": {"embedded_demo": True}, "feed": feed}
    assert settings_from_mapping(embedded, environ={}).feed is not None
