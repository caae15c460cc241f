"""A site's schema from a file, for sites that answer no introspection (Apollo Server in
production): SDL (`schema.graphql`, as printed by the site's tooling) or introspection JSON (the
answer to the introspection query, with or without its `data` wrapper).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import orjson
from graphql import (
    GraphQLError,
    GraphQLSchema,
    IntrospectionQuery,
    build_ast_schema,
    build_client_schema,
    parse,
)

from adapter.init.errors import InitError

__all__ = ["client_schema", "read_schema_file"]

MAX_SCHEMA_BYTES = 64 * 1024 * 1024


def read_schema_file(path: Path) -> GraphQLSchema:
    """The schema in `path`; InitError saying what is wrong with the file otherwise."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_SCHEMA_BYTES + 1)
    except OSError as exc:
        raise InitError(
            f"cannot read the schema file {path.absolute()}: {exc.strerror or exc}"
        ) from None
    if len(raw) > MAX_SCHEMA_BYTES:
        raise InitError(f"{path} is larger than {MAX_SCHEMA_BYTES // 2**20} MiB")
    if raw.lstrip()[:1] in (b"{", b"["):
        return _from_json(path, raw)
    return _from_sdl(path, raw)


def _from_json(path: Path, raw: bytes) -> GraphQLSchema:
    try:
        payload: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InitError(f"{path} starts like JSON but is not JSON ({exc})") from None
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        payload = payload["data"]
    if not isinstance(payload, dict) or not isinstance(payload.get("__schema"), dict):
        raise InitError(
            f"{path} is JSON without `__schema`: give the answer to the introspection query "
            "(or the schema's SDL)"
        )
    return client_schema(payload, f"{path} holds introspection JSON that is not a usable schema")


def client_schema(data: Any, problem: str) -> GraphQLSchema:
    """The schema an introspection answer describes; InitError saying `problem` otherwise."""
    try:
        return build_client_schema(cast(IntrospectionQuery, data))
    except (TypeError, ValueError, KeyError, GraphQLError) as exc:
        raise InitError(f"{problem} ({exc})") from None


def _from_sdl(path: Path, raw: bytes) -> GraphQLSchema:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InitError(f"{path} is neither UTF-8 SDL nor introspection JSON") from None
    try:
        # Lenient on directives it does not define (federation's @key, @link, a server's own):
        # init reads types and fields, never directives.
        return build_ast_schema(parse(text), assume_valid_sdl=True)
    except GraphQLError as exc:
        raise InitError(f"{path} is not GraphQL SDL: {exc.message} {_where(exc)}") from None
    except (TypeError, ValueError) as exc:
        raise InitError(f"{path} does not describe a usable schema ({exc})") from None


def _where(exc: GraphQLError) -> str:
    if exc.locations:
        location = exc.locations[0]
        return f"(line {location.line}, column {location.column})"
    return ""
