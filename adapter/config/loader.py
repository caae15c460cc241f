"""Reading the YAML file: `${ENV}` interpolation, `IMBACHAT__A__B` overrides, every problem
with its path."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
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
    "read_config_file",
    "settings_from_mapping",
]

CONFIG_ENV_VAR = "IMBACHAT_ADAPTER_CONFIG"
OVERRIDE_PREFIX = "IMBACHAT__"


_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


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


def _describe(error: ValidationError) -> list[str]:
    seen: dict[str, None] = {}
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        seen.setdefault(f"{_location(tuple(item['loc']))}: {message}", None)
    return list(seen)


def settings_from_mapping(
    data: Any,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path = Path("."),
    source: str = "configuration",
) -> Settings:
    """Validate already-parsed configuration data; raise ConfigError listing every problem."""
    environ = os.environ if environ is None else environ
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(["(top level): must be a mapping of sections"], source=source)
    problems: list[str] = []
    resolved: dict[str, Any] = _walk(data, "", environ, problems)
    _apply_overrides(resolved, environ)
    resolved.setdefault("base_dir", str(base_dir))
    try:
        settings = Settings.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(_describe(exc))
        raise ConfigError(problems, source=source) from None
    if problems:
        raise ConfigError(problems, source=source)
    return settings


def load_settings(path: Path | str, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, interpolate and validate a YAML configuration file."""
    path = Path(path)
    return settings_from_mapping(
        read_config_file(path), environ=environ, base_dir=path.resolve().parent, source=str(path)
    )


def read_config_file(path: Path) -> Any:
    """The file's YAML as data; ConfigError when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read the file: {exc.strerror}"], source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError([f"{where}{problem}"], source=str(path)) from None
