"""A site's schema from its answer to the introspection query, for `init` and `check-config`."""

from __future__ import annotations

from typing import cast

from graphql import GraphQLError, GraphQLSchema, IntrospectionQuery, build_client_schema

__all__ = ["client_schema"]


def client_schema(data: object) -> GraphQLSchema:
    """The schema an introspection answer describes; ValueError saying why when it is none."""
    try:
        return build_client_schema(cast(IntrospectionQuery, data))
    # A malformed answer can fail anywhere in graphql-core's builder.
    except (TypeError, KeyError, AttributeError, GraphQLError) as exc:
        raise ValueError(str(exc)) from exc
