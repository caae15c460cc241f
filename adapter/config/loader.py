"""Reading the YAML file: `${ENV}` interpolation, `IMBACHAT__A__B` overrides, every problem
with its path."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from adapter.config.settings import Settings
from adapter.errors import ConfigError

__all__ = [
    "CONFIG_ENV_VAR",
    "OVERRIDE_PREFIX",
    "env_references",
    "load_settings",
    "no_configuration",
    "read_config_file",
    "settings_from_mapping",
]

CONFIG_ENV_VAR = "IMBACHAT_ADAPTER_CONFIG"
OVERRIDE_PREFIX = "IMBACHAT__"


_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


# Settings a command may declare it does not use. Each is left out before validation, so that
# the variables it names need not be set; the chat's credentials are required by the model, so
# they get a stand-in instead (the commands that leave them out answer no chat request).
_STAND_INS: dict[str, str] = {
    "chat.api_login": "not-used-by-this-command",
    "chat.api_password": "not-used-by-this-command",
}


def _interpolate(value: str, path: str, environ: Mapping[str, str], problems: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        problems.append(f"{path}: environment variable {name} is not set")
        return ""

    return _ENV_REFERENCE.sub(replace, value)


def env_references(node: Any, path: str = "") -> Iterator[tuple[str, str, str | None]]:
    """Each `${NAME}` or `${NAME:-default}` in parsed configuration data: (path, NAME, default)."""
    if isinstance(node, str):
        for match in _ENV_REFERENCE.finditer(node):
            if match.group(1):
                yield path, match.group(1), match.group(2)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from env_references(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from env_references(item, f"{path}[{i}]")


def _walk(node: Any, path: str, environ: Mapping[str, str], problems: list[str]) -> Any:
    if isinstance(node, str):
        return _interpolate(node, path, environ, problems)
    if isinstance(node, dict):
        return {
            key: _walk(value, f"{path}.{key}" if path else str(key), environ, problems)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_walk(item, f"{path}[{i}]", environ, problems) for i, item in enumerate(node)]
    return node


def _apply_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, raw in sorted(environ.items()):
        if not name.startswith(OVERRIDE_PREFIX):
            continue
        keys = [part.lower() for part in name[len(OVERRIDE_PREFIX) :].split("__") if part]
        if not keys:
            continue
        target = data
        for key in keys[:-1]:
            child = target.get(key)
            if not isinstance(child, dict):
                child = {}
                target[key] = child
            target = child
        target[keys[-1]] = _override_value(raw)


def _override_value(raw: str) -> Any:
    """`7` -> 7, `true` -> True, `[a, b]` -> a list; anything else stays the text it is.

    Only explicit flow collections become lists or mappings: `prefix: "app:"` must not turn
    into a mapping because the text ends in a colon.
    """
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, dict | list) and not raw.lstrip().startswith(("[", "{")):
        return raw
    return value


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
    """One line per problem; none for a setting in `reported` (its variable is unset, which is
    the one problem to tell: "must be at least 32 bytes" of the empty text would only repeat it).
    """
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


def _leave_out(data: dict[str, Any], unused: Collection[str]) -> None:
    """Remove each dotted path in `unused` from `data` (a stand-in for a required credential)."""
    for path in unused:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target.get(key) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        target.pop(last, None)
        if path in _STAND_INS:
            target[last] = _STAND_INS[path]


def settings_from_mapping(
    data: Any,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path = Path("."),
    source: str = "configuration",
    unused: Collection[str] = (),
) -> Settings:
    """Validate already-parsed configuration data; raise ConfigError listing every problem.

    `unused`: dotted paths of settings the caller does not use (`tokens`, `chat.api_password`):
    they are left out, so the variables they name need not be set.
    """
    environ = os.environ if environ is None else environ
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(["(top level): must be a mapping of sections"], source=source)
    if unused:
        data = copy.deepcopy(data)
        _leave_out(data, unused)
    problems: list[str] = []
    resolved: dict[str, Any] = _walk(data, "", environ, problems)
    _apply_overrides(resolved, environ)
    _leave_out(resolved, unused)
    resolved.setdefault("base_dir", str(base_dir))
    try:
        settings = Settings.model_validate(resolved)
    except ValidationError as exc:
        unset = {problem.partition(": ")[0] for problem in problems}
        problems.extend(_describe(exc, reported=unset))
        raise ConfigError(problems, source=source) from None
    if problems:
        raise ConfigError(problems, source=source)
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
        raise ConfigError(
            [no_configuration(path)],
            source=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(
            [f"cannot read {path.absolute()}: {exc.strerror}"], source=str(path)
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError([f"{where}{problem}"], source=str(path)) from None
