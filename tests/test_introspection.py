"""An introspection answer read as a schema, or refused with graphql-core's reason."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema, get_introspection_query, graphql_sync

from adapter.introspection import client_schema

_BAD_NAME = {
    "__schema": {
        "queryType": {"name": "Query"},
        "types": [{"kind": "OBJECT", "name": "bad name", "fields": [], "interfaces": []}],
    }
}


def test_an_answer_becomes_its_schema() -> None:
    """The answer to the introspection query describes the schema that gave it."""
    answer = graphql_sync(build_schema("type Query { me: String }"), get_introspection_query())
    schema = client_schema(answer.data)
    assert schema.query_type is not None
    assert list(schema.query_type.fields) == ["me"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"__schema": {}}, "'types'"),  # KeyError
        ({"__schema": {"queryType": {"name": "Query"}, "types": 1}}, "not iterable"),  # TypeError
        (5, "Invalid or incomplete introspection result"),  # TypeError
        (_BAD_NAME, "Names must only contain"),  # GraphQLError
    ],
)
def test_a_malformed_answer_is_one_value_error(data: Any, reason: str) -> None:
    """Whatever graphql-core's builder raises on a malformed answer arrives as a ValueError."""
    with pytest.raises(ValueError, match=reason):
        client_schema(data)
