"""The API as a federation-2 subgraph: names with the configured prefix, the user entity.

A site's gateway composes this subgraph into its graph. Two things are configurable so that
it composes without clashes: a prefix for the adapter's root fields and type names, and the
site's user entity (type name, key field), which this subgraph extends with the chat profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLID, GraphQLInt, GraphQLString
from strawberry.federation.schema_directives import FederationDirective
from strawberry.federation.types import FieldSet
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from adapter.config import FederationEntitySettings, FederationSettings
from adapter.web.graphql.errors import ExpectedError

__all__ = ["entity_type", "federation_config", "lowest_federation_version"]

# The adapter's own names: the ones a prefix applies to.
ROOT_FIELDS = frozenset({"chat_widget", "chat_users", "issue_chat_token", "invalidate_chat_users"})
OWN_TYPES = frozenset({"ChatToken", "ChatWidget", "ChatUser", "ChatProfile"})
_KEY_TYPES: dict[str, type] = {"ID": strawberry.ID, "Int": int, "String": str}
_KEY_SCALARS = {"ID": GraphQLID, "Int": GraphQLInt, "String": GraphQLString}


class _PrefixedNames(NameConverter):
    """camelCase as usual, with `prefix` before the root fields and the adapter's types."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._field_prefix = prefix
        self._type_prefix = prefix[:1].upper() + prefix[1:]

    def from_object(self, object_type: StrawberryObjectDefinition) -> str:
        name = super().from_object(object_type)
        return self._type_prefix + name if name in OWN_TYPES else name

    def from_field(self, field: StrawberryField) -> str:
        name = super().from_field(field)
        if field.python_name in ROOT_FIELDS and self._field_prefix:
            return self._field_prefix + name[:1].upper() + name[1:]
        return name


def federation_config(settings: FederationSettings) -> StrawberryConfig:
    """Strawberry's configuration with the prefixed names (none when the prefix is empty)."""
    return StrawberryConfig(name_converter=_PrefixedNames(settings.prefix))


def lowest_federation_version(schema: strawberry.federation.Schema) -> str:
    """The lowest federation version whose spec defines every directive `schema` uses (2.0 at
    least): a gateway's composition refuses a @link to a version newer than it knows."""
    needed = max(
        (
            type(directive).minimum_version
            for directive in schema.schema_directives_in_use
            if isinstance(directive, FederationDirective)
        ),
        default=(2, 0),
    )
    return f"{needed[0]}.{needed[1]}"


def entity_type(settings: FederationEntitySettings, profile: Callable[..., Any]) -> type:
    """`type <type_name> @key(fields: "<key_field>")` with `<field>` resolved by `profile`.

    The site's subgraph owns the type; this one adds the chat profile and resolves references
    from the key alone, so the gateway can ask for the profile of any user it has found. The
    resolver finds the key value as `root.key`.
    """

    def resolve_reference(cls: type[Any], /, **representation: Any) -> Any:
        key = representation.get(settings.key_field)
        if key is None:
            raise ExpectedError(
                f"a {settings.type_name} representation needs its {settings.key_field}",
                "BAD_USER_INPUT",
            )
        try:
            _KEY_SCALARS[settings.key_type].serialize(key)
        except GraphQLError:
            # Else the key field's own serialisation fails later: an "unexpected" error, logged
            # with its traceback, that any caller could cause.
            raise ExpectedError(
                f"a {settings.type_name} representation's {settings.key_field} must be "
                f"{settings.key_type}",
                "BAD_USER_INPUT",
            ) from None
        instance = object.__new__(cls)
        instance.key = key
        return instance

    namespace: dict[str, Any] = {
        "__annotations__": {"key": _KEY_TYPES[settings.key_type]},
        "__module__": __name__,
        "key": strawberry.field(name=settings.key_field),
        "chat_profile": strawberry.field(
            resolver=profile,
            name=settings.field,
            description="This user as the chat sees them (null when unknown to the chat).",
        ),
        "resolve_reference": classmethod(resolve_reference),
    }
    shape = type(settings.type_name, (), namespace)
    return strawberry.federation.type(
        shape, name=settings.type_name, keys=[FieldSet(settings.key_field)]
    )
