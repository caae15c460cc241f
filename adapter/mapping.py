"""Upstream user object -> the chat's user (`ChatUser`). Pure: data in, data out, no I/O.

A mapping is compiled once from `config.yaml` into small functions. Each output field takes its
value from a dotted path, a template, a constant or the first present of several fallbacks, then
runs its converters, lookup and default. A field with no value is left out of the answer; a user
without a `name` is left out entirely (the caller logs it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final, Required, TypedDict, cast

from adapter.config import Converter, FieldRule, FieldSpec, MappingSettings, ProfilesRule
from adapter.paths import dig

__all__ = ["MISSING", "ChatUser", "UserMapper", "compile_field", "referenced_paths", "spec_paths"]


class ChatUser(TypedDict, total=False):
    """The chat's user (docs/protocol.md section 2), and each of its sub-profiles: `user_id` and
    `name` always, then the fields `mapping.fields` names (those the adapter reads are listed;
    any other passes through to the widget as mapped)."""

    user_id: Required[Any]  # the requested id; a sub-profile's is mapped
    name: Required[str]
    avatar_url: Any
    profile_url: Any
    lastlogin: Any
    badge: Any
    chat_role: Any
    profiles: dict[str, ChatUser]


class _Missing(Enum):
    MISSING = "MISSING"  # no value: the field is left out of the answer


MISSING: Final = _Missing.MISSING
Getter = Callable[[Any], Any]
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
# Numbers above this are taken for epoch milliseconds (year 5138 in seconds).
_MILLISECONDS_ABOVE = 100_000_000_000
# The whole numbers a converter may give: the chat's JSON is encoded by orjson, which refuses
# integers past 64 bits; a site's 1e300 is no value, not a failed answer.
_INT64 = range(-(2**63), 2**63)


def _absent(value: Any) -> bool:
    return value is MISSING or value is None or value == ""


def _get(obj: Any, path: Sequence[str]) -> Any:
    found = dig(obj, path)
    return MISSING if found is None else found


def _path(text: str) -> Getter:
    keys = tuple(text.split("."))
    return lambda obj: _get(obj, keys)


def _template(text: str) -> Getter:
    # split() alternates literal text and placeholder names: odd indexes are names.
    parts = [
        _path(part.strip()) if i % 2 else part for i, part in enumerate(_PLACEHOLDER.split(text))
    ]

    def render(obj: Any) -> Any:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part(obj)
            if _absent(value) or isinstance(value, Mapping | list):
                return MISSING
            out.append(_text(value))
        return "".join(out)

    return render


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_of(getters: Sequence[Getter]) -> Getter:
    def first(obj: Any) -> Any:
        for getter in getters:
            value = getter(obj)
            if not _absent(value):
                return value
        return MISSING

    return first


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    number = float(value) if isinstance(value, int | float) else float(str(value).strip())
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _whole(number: float) -> int:
    whole = int(number)
    if whole not in _INT64:
        raise OverflowError("past 64 bits")
    return whole


def _iso8601(value: Any) -> int:
    moment = datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _epoch_ms(value: Any) -> int:
    return _whole(_number(value) // 1000)


def _unix_seconds(value: Any) -> int:
    try:
        number = _number(value)
    except ValueError:
        return _iso8601(value)
    return _whole(number // 1000 if abs(number) >= _MILLISECONDS_ABOVE else number)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off", ""}:
            return False
        raise ValueError(f"not a boolean: {value!r}")
    return bool(value)


_CONVERTERS: Final[dict[str, Callable[[Any], Any]]] = {
    "unix_seconds": _unix_seconds,
    "iso8601_to_unix": _iso8601,
    "epoch_ms_to_unix": _epoch_ms,
    "int": lambda value: _whole(_number(value)),
    "float": _number,
    "string": _text,
    "bool": _bool,
    "lower": lambda value: _text(value).lower(),
    "upper": lambda value: _text(value).upper(),
}


def _converter(name: Converter) -> Getter:
    if name == "or_false":
        return lambda value: False if _absent(value) else value
    convert = _CONVERTERS[name]

    def run(value: Any) -> Any:
        if _absent(value):
            return MISSING
        try:
            return convert(value)
        except (ValueError, TypeError, OverflowError):
            return MISSING

    return run


def _rule(rule: FieldRule) -> Getter:
    source: Getter
    if rule.path is not None:
        source = _path(rule.path)
    elif rule.template is not None:
        source = _template(rule.template)
    elif rule.first_of is not None:
        source = _first_of([compile_field(spec) for spec in rule.first_of])
    else:
        constant = rule.const
        source = lambda _obj: constant  # noqa: E731 - a one-line closure reads best here
    steps = [_converter(name) for name in rule.convert]
    lookup = rule.lookup
    has_default = "default" in rule.model_fields_set
    default = rule.default

    def get(obj: Any) -> Any:
        value = source(obj)
        for step in steps:
            value = step(value)
        if lookup is not None and not _absent(value):
            value = lookup.get(_text(value), MISSING)
        if has_default and _absent(value):
            return default
        return MISSING if value is None else value

    return get


def compile_field(spec: FieldSpec) -> Getter:
    """Turn one field's YAML spec into a function of the upstream object."""
    if isinstance(spec, str):
        return _template(spec) if _PLACEHOLDER.search(spec) else _path(spec)
    if isinstance(spec, list):
        return _first_of([compile_field(item) for item in spec])
    return _rule(spec)


def spec_paths(spec: FieldSpec | Sequence[str]) -> Iterable[str]:
    """The upstream paths one field's spec reads: a path, a template's placeholders, or those
    of a list of them or of a rule."""
    if isinstance(spec, str):
        names = _PLACEHOLDER.findall(spec)
        yield from (name.strip() for name in names) if names else (spec,)
    elif not isinstance(spec, FieldRule):
        for item in spec:
            yield from spec_paths(item)
    elif spec.path is not None:
        yield spec.path
    elif spec.template is not None:
        yield from spec_paths(spec.template)
    elif spec.first_of is not None:
        yield from spec_paths(spec.first_of)


def referenced_paths(settings: MappingSettings) -> list[tuple[str, str]]:
    """Every upstream path the mapping reads, with the setting that reads it."""
    found = [("mapping.id", settings.id)]
    for name, spec in settings.fields.items():
        found.extend((f"mapping.fields.{name}", path) for path in spec_paths(spec))
    profiles = settings.profiles
    if profiles is not None:
        found.append(("mapping.profiles.path", profiles.path))
        if profiles.key is not None:
            found.append(("mapping.profiles.key", f"{profiles.path}.{profiles.key}"))
        for name, spec in profiles.fields.items():
            found.extend(
                (f"mapping.profiles.fields.{name}", f"{profiles.path}.{path}")
                for path in spec_paths(spec)
            )
    return found


def _name(value: Any) -> str | None:
    if _absent(value) or isinstance(value, Mapping | list):
        return None
    return _text(value)


def _profiles(rule: ProfilesRule) -> Callable[[Any], dict[str, ChatUser]]:
    path = _path(rule.path)
    key_of = _path(rule.key) if rule.key is not None else None
    fields = tuple((name, compile_field(spec)) for name, spec in rule.fields.items())

    def map_profiles(obj: Any) -> dict[str, ChatUser]:
        found = path(obj)
        if isinstance(found, Mapping):
            items: Iterable[tuple[str | None, Any]] = ((str(k), v) for k, v in found.items())
        elif isinstance(found, list):
            items = ((None, v) for v in found)
        else:
            return {}
        out: dict[str, ChatUser] = {}
        for position, (given_key, item) in enumerate(items):
            mapped = _map_fields(fields, item)
            if _absent(mapped.get("user_id", MISSING)) or _name(mapped.get("name")) is None:
                continue
            mapped["name"] = _name(mapped["name"])
            key = given_key
            if key_of is not None:
                key_value = key_of(item)
                key = None if _absent(key_value) else _text(key_value)
            out[key if key is not None else str(position)] = cast(ChatUser, mapped)
        return out

    return map_profiles


def _map_fields(fields: Iterable[tuple[str, Getter]], obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, getter in fields:
        value = getter(obj)
        if value is not MISSING:
            out[name] = value
    return out


class UserMapper:
    """Maps upstream user objects onto the chat's user shape, as `config.yaml` says."""

    def __init__(self, settings: MappingSettings) -> None:
        self._id = _path(settings.id)
        self._fields = tuple((name, compile_field(spec)) for name, spec in settings.fields.items())
        self._profiles = _profiles(settings.profiles) if settings.profiles else None

    def upstream_id(self, obj: Any) -> str | None:
        """The object's id as text, for matching it to a requested id."""
        value = self._id(obj)
        return None if isinstance(value, bool) else _name(value)

    def to_chat_user(self, obj: Any, user_id: int | str) -> ChatUser | None:
        """The chat's user for `obj`, or None when no `name` can be produced."""
        if not isinstance(obj, Mapping):
            return None
        mapped = _map_fields(self._fields, obj)
        name = _name(mapped.get("name"))
        if name is None:
            return None
        user = cast(ChatUser, {"user_id": user_id, **mapped, "name": name})
        if self._profiles is not None:
            profiles = self._profiles(obj)
            if profiles:
                user["profiles"] = profiles
        return user
