"""Where settings come from, for `Settings.settings_customise_sources`: the environment's
`IMBACHAT__A__B` overrides (pydantic-settings' nested environment source), then the file.

The file's data enters as the settings' init values, its `${VAR}` references replaced
(`interpolate`). The environment a load reads, and the settings its command leaves out (of
both sources), are the load's own (`LOAD`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from contextvars import ContextVar
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

__all__ = [
    "LOAD",
    "OVERRIDE_PREFIX",
    "EnvironmentOverrides",
    "interpolate",
    "leave_out",
]

OVERRIDE_PREFIX = "IMBACHAT__"

_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Settings a command may declare it does not use. Each is left out before validation, so that
# the variables it names need not be set; the chat's credentials are required by the model, so
# they get a stand-in instead (the commands that leave them out answer no chat request).
_STAND_INS: dict[str, str] = {
    "chat.api_login": "not-used-by-this-command",
    "chat.api_password": "not-used-by-this-command",
}


# The environment a load reads and the settings its command leaves out (set by the loader).
LOAD: ContextVar[tuple[Mapping[str, str], Collection[str]]] = ContextVar(
    "settings_load", default=(os.environ, ())
)


class EnvironmentOverrides(EnvSettingsSource):
    """`IMBACHAT__SECTION__KEY=value` beats the file; a list or mapping is written in YAML
    (`[a, b]`, `{X-Site: main}`), and a name that is no section is an unknown key."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        environ, self._unused = LOAD.get()
        self.env_vars = parse_env_vars(
            environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value  # as written: the model refuses it, naming the setting

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        prefix, known = OVERRIDE_PREFIX.lower(), {"", *self.settings_cls.model_fields}
        for name, value in self.env_vars.items():
            section = name.removeprefix(prefix).partition("__")[0]
            if name.startswith(prefix) and section not in known:
                data[section] = value  # refused by the model as an unknown key
        leave_out(data, self._unused, stand_ins=False)
        return data


def interpolate(
    node: Any,
    environ: Mapping[str, str],
    problems: list[str],
    path: str = "",
    *,
    names: dict[str, str | None] | None = None,
) -> Any:
    """`node` with each `${NAME}` and `${NAME:-default}` replaced and `$$` made `$`; each unset
    variable without a default is a problem naming where it is; `names` collects every NAME
    with its default."""
    if isinstance(node, dict):
        return {
            key: interpolate(
                value, environ, problems, f"{path}.{key}" if path else str(key), names=names
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            interpolate(item, environ, problems, f"{path}[{i}]", names=names)
            for i, item in enumerate(node)
        ]
    if not isinstance(node, str):
        return node

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name is None:
            return "$"
        if names is not None:
            names[name] = default
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        problems.append(f"{path}: environment variable {name} is not set")
        return ""

    return _ENV_REFERENCE.sub(replace, node)


def leave_out(data: dict[str, Any], unused: Collection[str], *, stand_ins: bool = True) -> None:
    """Remove each dotted path in `unused` from `data` (a stand-in for a required credential)."""
    for path in unused:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target.get(key) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        target.pop(last, None)
        if stand_ins and path in _STAND_INS:
            target[last] = _STAND_INS[path]
