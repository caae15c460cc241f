"""The field mapping: upstream object paths, templates and rules onto the chat's fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    Discriminator,
    JsonValue,
    Tag,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from adapter.config.base import Model

__all__ = [
    "RESERVED_FIELDS",
    "Converter",
    "FieldRule",
    "FieldSpec",
    "MappingSettings",
    "ProfilesRule",
]

Converter = Literal[
    "unix_seconds",  # ISO-8601 text, epoch seconds or epoch milliseconds, guessed by shape
    "iso8601_to_unix",
    "epoch_ms_to_unix",
    "or_false",  # missing or empty -> false, the chat's "no avatar"
    "int",
    "float",
    "string",
    "bool",
    "lower",
    "upper",
]


class FieldRule(Model):
    """One output field: exactly one source, then optional converters, lookup and default."""

    path: str | None = None
    template: str | None = None
    const: JsonValue = None
    first_of: list[FieldSpec] | None = None
    convert: list[Converter] = []
    lookup: dict[str, JsonValue] | None = None
    default: JsonValue = None

    @field_validator("convert", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        sources = [
            s for s in ("path", "template", "const", "first_of") if s in self.model_fields_set
        ]
        if len(sources) != 1:
            raise ValueError(
                "give exactly one of path, template, const, first_of"
                + (f" (got {', '.join(sources)})" if sources else "")
            )
        return self


def _spec_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "spec:text"
    if isinstance(value, list):
        return "spec:fallbacks"
    if isinstance(value, dict | FieldRule):
        return "spec:rule"
    return None


if TYPE_CHECKING:
    FieldSpec: TypeAlias = str | list["FieldSpec"] | FieldRule
else:
    # The same union, with errors that name the intended branch instead of all three.
    FieldSpec = TypeAliasType(
        "FieldSpec",
        Annotated[
            Annotated[str, Tag("spec:text")]
            | Annotated[list["FieldSpec"], Tag("spec:fallbacks")]
            | Annotated[FieldRule, Tag("spec:rule")],
            Discriminator(
                _spec_kind,
                custom_error_type="field_spec",
                custom_error_message=(
                    "must be a path or template string, a list of fallbacks, "
                    "or a mapping with one of path, template, const, first_of"
                ),
            ),
        ],
    )


FieldRule.model_rebuild()

RESERVED_FIELDS = frozenset({"user_id", "profiles"})


class ProfilesRule(Model):
    """Sub-profiles: a list (or object) in the upstream user, each mapped by `fields`."""

    path: str
    # Path of a sub-profile's key; without it, keys are the list positions.
    key: str | None = None
    fields: dict[str, FieldSpec]

    @field_validator("fields")
    @classmethod
    def _required(cls, value: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in ("user_id", "name") if name not in value]
        if missing:
            raise ValueError(f"sub-profiles need {' and '.join(missing)}")
        return value


class MappingSettings(Model):
    id: str = "id"
    fields: dict[str, FieldSpec]
    profiles: ProfilesRule | None = None

    @field_validator("fields")
    @classmethod
    def _name_present(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "name" not in value:
            raise ValueError("`name` is required: the chat cannot show a user without it")
        reserved = sorted(RESERVED_FIELDS & value.keys())
        if reserved:
            raise ValueError(
                f"{', '.join(reserved)} cannot be mapped here: user_id is always the requested id "
                "and sub-profiles go under mapping.profiles"
            )
        return value
