"""Contracts with Strawberry's private parts the adapter still reads: each fails when it moves."""

from __future__ import annotations

import strawberry
from graphql import GraphQLSchema

from adapter.web.graphql.limits import graphql_core_schema


def test_strawberry_keeps_graphql_cores_schema_where_validation_reads_it() -> None:
    """`graphql_core_schema` finds the graphql-core schema Strawberry built, with its types."""

    @strawberry.type
    class Query:
        answer: int = 42

    core = graphql_core_schema(strawberry.Schema(query=Query))
    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None
    assert "answer" in core.query_type.fields
