"""Where settings come from: the file (`ConfigFile`, its `${VAR}` references filled in) and
the environment's `IMBACHAT__A__B` overrides, which beat it (pydantic-settings' nested environment
source). Both are pydantic-settings sources built for one load, with its environment and the
settings its command leaves out; `loader.py` hands them to `Settings`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, InitSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

__all__ = [
    "OVERRIDE_PREFIX",
    "ConfigFile",
    "EnvironmentOverrides",
    "interpolate",
    "leave_out",
]

OVERRIDE_PREFIX = "IMBACHAT__"

# The reference configuration holds some 300 values. A YAML alias repeats what its anchor
# names, so a short file can stand for billions of values ("billion laughs"), or for endless
# ones (an alias inside its own anchor); filling in its variables would never end.
MAX_VALUES = 100_000

_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Settings a command may declare it does not use. Each is left out before validation, so that
# the variables it names need not be set; the chat's credentials are required by the model, so
# they get a stand-in instead (the commands that leave them out answer no chat request).
_STAND_INS: dict[str, str] = {
    "chat.api_login": "not-used-by-this-command",
    "chat.api_password": "not-used-by-this-command",
}


class ConfigFile(InitSettingsSource):
    """The file's data (as `read_config_file` parsed it), its `${NAME}` and `${NAME:-default}`
    filled from `environ`, which the overrides read too (as pydantic-settings' YAML source, an
    init source); `problems` lists the unset variables, `names` those referenced."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        data: dict[str, Any],
        *,
        environ: Mapping[str, str],
        base_dir: Path = Path("."),
        unused: Collection[str] = (),
    ) -> None:
        self.environ, self.unused = environ, unused
        self.problems: list[str] = []
        self.names: dict[str, str | None] = {}
        data = copy.deepcopy(data)
        leave_out(data, unused)
        data = interpolate(data, environ, self.problems, names=self.names)
        # A section named by a number or `null` is an unknown key, not a keyword argument.
        sections = {str(name): value for name, value in data.items()}
        super().__init__(settings_cls, {"base_dir": str(base_dir), **sections})


class EnvironmentOverrides(EnvSettingsSource):
    """`IMBACHAT__SECTION__KEY=value` in `file`'s environment beats `file`; a list or mapping
    is YAML (`[a, b]`, `{X-Site: main}`), and a name that is no section is an unknown key."""

    def __init__(self, file: ConfigFile) -> None:
        super().__init__(file.settings_cls)
        self._unused = file.unused
        self.env_vars = parse_env_vars(
            file.environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            decoded = yaml.safe_load(value)
        except yaml.YAMLError:
            return value  # as written: the model refuses it, naming the setting
        return value if too_many_values(decoded) else decoded

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        prefix, known = OVERRIDE_PREFIX.lower(), {"", *self.settings_cls.model_fields}
        for name, value in self.env_vars.items():
            section = name.removeprefix(prefix).partition("__")[0]
            if name.startswith(prefix) and section not in known:
                data[section] = value  # refused by the model as an unknown key
        leave_out(data, self._unused, stand_ins=False)
        return data


def too_many_values(data: Any) -> bool:
    """Does `data` hold more than `MAX_VALUES` values, each counted every time an alias repeats
    it? Counted without recursion, and no further than the bound."""
    pending, counted = [data], 0
    while pending:
        node = pending.pop()
        counted += 1
        if counted > MAX_VALUES:
            return True
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def interpolate(
    node: Any,
    environ: Mapping[str, str],
    problems: list[str],
    path: str = "",
    *,
    names: dict[str, str | None],
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
