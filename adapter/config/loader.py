"""Reading the YAML file into `Settings`, with every problem listed by its path.

`Settings` is built from one load's pydantic-settings sources (`sources.py`), handed to it as
`_build_sources` because `settings_customise_sources` is a classmethod given nothing of the load
(its environment and file would have to travel in global state). The file is read here, not by
`YamlConfigSettingsSource`, which takes a missing or unreadable file for an empty one and drops
a YAML error's line and column; check-config reports the file before the values.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import SettingsError

from adapter.config.settings import Settings
from adapter.config.sources import MAX_VALUES, ConfigFile, EnvironmentOverrides, too_many_values
from adapter.errors import ConfigError

__all__ = [
    "CONFIG_ENV_VAR",
    "NOT_SECTIONS",
    "build_settings",
    "load_settings",
    "no_configuration",
    "read_config_file",
    "settings_from_mapping",
]

# The one message for a file whose top level is not a mapping (the loader and the start-up check).
NOT_SECTIONS = "(top level): must be a mapping of sections"

CONFIG_ENV_VAR = "IMBACHAT_ADAPTER_CONFIG"

TOO_MANY_VALUES = (
    f"(top level): more than {MAX_VALUES} values once its YAML aliases are expanded "
    "(an alias repeats everything its anchor names)"
)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(("spec:", "function-")):
            continue  # union branch tags that pydantic puts in the location
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def _describe(error: ValidationError, *, reported: Collection[str] = ()) -> list[str]:
    """One line per problem, never the value; none for a setting in `reported` (its variable
    is unset, which is the one problem to tell: "must be at least 32 bytes" of the empty text
    would only repeat it)."""
    seen: dict[str, None] = {}
    for item in error.errors(include_url=False, include_input=False):
        location = _location(tuple(item["loc"]))
        if location in reported:
            continue
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        seen.setdefault(f"{location}: {message}", None)
    return list(seen)


def settings_from_mapping(
    data: Any,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path = Path("."),
    source: str = "configuration",
    unused: Collection[str] = (),
) -> Settings:
    """Validate already-parsed configuration data; raise ConfigError listing every problem.

    `environ` (default `os.environ`) fills `${NAME}` references and gives the `IMBACHAT__`
    overrides. `unused`: dotted paths of settings the caller does not use (`tokens`,
    `chat.api_password`): they are left out, so the variables they name need not be set.
    """
    environ = os.environ if environ is None else environ
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError([NOT_SECTIONS], source=source)
    file = ConfigFile(Settings, data, environ=environ, base_dir=base_dir, unused=unused)
    return build_settings(file, source=source)


def build_settings(file: ConfigFile, *, source: str = "configuration") -> Settings:
    """`Settings` from `file` and the overrides beating it; ConfigError listing every problem."""
    try:  # the first source wins
        settings = Settings(_build_sources=((EnvironmentOverrides(file), file), {}))
    except ValidationError as exc:
        described = _describe(exc, reported={p.partition(": ")[0] for p in file.problems})
        raise ConfigError([*file.problems, *described], source=source) from None
    except SettingsError as exc:  # a source that could not read a value (names no value)
        raise ConfigError([str(exc)], source=source) from None
    if file.problems:
        raise ConfigError(file.problems, source=source)
    return settings


def load_settings(
    path: Path | str,
    *,
    environ: Mapping[str, str] | None = None,
    unused: Collection[str] = (),
) -> Settings:
    """Read, interpolate and validate a YAML configuration file (`unused`: as
    `settings_from_mapping`)."""
    path = Path(path)
    return settings_from_mapping(
        read_config_file(path),
        environ=environ,
        base_dir=path.resolve().parent,
        source=str(path),
        unused=unused,
    )


def no_configuration(path: Path) -> str:
    """What a newcomer without a configuration file is told: where it looked, what writes one."""
    return (
        f"no configuration at {path.absolute()}: `imbachat-adapter init --upstream <your site's "
        "GraphQL URL>` writes one (or pass --config)"
    )


def read_config_file(path: Path) -> Any:
    """The file's YAML as data; ConfigError when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([no_configuration(path)], source=str(path)) from None
    except OSError as exc:
        raise ConfigError(
            [f"cannot read {path.absolute()}: {exc.strerror}"], source=str(path)
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError([f"{where}{problem}"], source=str(path)) from None
    if too_many_values(data):
        raise ConfigError([TOO_MANY_VALUES], source=str(path))
    return data
