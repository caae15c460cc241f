"""A document's cost is bounded before it runs: depth, aliases and fields, fragments expanded,
each fragment's cost computed once, and the rules run once per request."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import NoFragmentCyclesRule, get_introspection_query, parse

from adapter.config import GraphQLSettings
from adapter.web.graphql.cost import cost_errors, document_cost
from tests.support import gql

Api = Any


def fan_out(fragments: int, leaf: str = "scriptUrl") -> str:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^fragments fields once expanded."""
    parts = ["query FanOut { chatWidget { ...F0 } }"]
    parts += [
        f"fragment F{i} on ChatWidget {{ ...F{i + 1} ...F{i + 1} }}" for i in range(fragments)
    ]
    parts.append(f"fragment F{fragments} on ChatWidget {{ {leaf} }}")
    return " ".join(parts)


@pytest.fixture
def rule_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fragment definitions graphql-core's NoFragmentCycles rule entered, one per run."""
    entered: list[str] = []
    original = NoFragmentCyclesRule.enter_fragment_definition

    def counted(self: NoFragmentCyclesRule, node: Any, *args: Any) -> Any:
        entered.append(node.name.value)
        return original(self, node, *args)

    monkeypatch.setattr(NoFragmentCyclesRule, "enter_fragment_definition", counted)
    return entered


async def test_fragment_fan_out_is_refused_before_it_runs(api: Api) -> None:
    """Twelve fragments that each spread the next twice select 4,096 fields: refused as
    over max_fields, with the validation code, and nothing runs."""
    async with api() as client:
        body = await gql(client, fan_out(12))
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"] == (
        "The document selects 4097 fields, fragments counted each time they are spread. "
        "Allowed: 500"
    )
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_long_fan_out_costs_one_pass(api: Api, rule_runs: list[str]) -> None:
    """A hundred doubling fragments (2^100 fields) are refused by the cost check alone: no
    validation rule walks them (graphql-core's would not finish)."""
    async with api() as client:
        body = await gql(client, fan_out(100))
    assert "more than" in body["errors"][0]["message"]
    assert rule_runs == []


async def test_the_rules_run_once_per_request(api: Api, rule_runs: list[str]) -> None:
    """A document with a fragment is validated once: not by the token fast path and then
    again by Strawberry."""
    document = "mutation Once { issueChatToken { ...T } } fragment T on ChatToken { token }"
    async with api() as client:
        body = await gql(client, document)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert rule_runs == ["T"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "query Deep { chatUsers(ids: [1]) { ...P } } "
            "fragment P on ChatUser { profiles { name } }",
            "'Deep' exceeds maximum operation depth of 1",
        ),
        (
            "{ chatWidget { ...A ...A } } fragment A on ChatWidget "
            "{ a: scriptUrl b: scriptUrl c: scriptUrl d: scriptUrl e: scriptUrl f: scriptUrl }",
            "12 aliases found. Allowed: 10",
        ),
    ],
    ids=["depth", "aliases"],
)
async def test_depth_and_aliases_count_through_fragments(
    api: Api, document: str, message: str
) -> None:
    """Depth and aliases are counted as executed: through fragments, each spread counted."""
    async with api({"graphql": {"max_depth": 1}}) as client:
        body = await gql(client, document)
    assert body.get("data") is None
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_graphiql_introspection_fits_the_default_bounds(api: Api) -> None:
    """The full introspection query a GraphQL IDE sends is answered with the default limits."""
    document = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    async with api({"graphql": {"max_tokens": 5000}}) as client:
        body = await gql(client, document)
    assert "errors" not in body, body["errors"]
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_repeated_fields_are_refused_before_the_overlap_rule(
    api: Api, rule_runs: list[str]
) -> None:
    """240 `chatWidget { scriptUrl }` side by side: 480 fields, but 57,360 pairs for
    graphql-core's overlap rule to compare (over a second of work): refused before it runs."""
    document = "{ " + "chatWidget { scriptUrl } " * 240 + "} fragment Unused on Query { a }"
    async with api() as client:
        body = await gql(client, document)
    assert body.get("data") is None
    assert [error["message"] for error in body["errors"]] == [
        "Fragment 'Unused' is never used.",
    ]
    async with api() as client:
        body = await gql(client, "{ " + "chatWidget { scriptUrl } " * 240 + "}")
    assert body["errors"][0]["message"] == (
        "The document repeats fields under one name, or spreads fragments side by side, "
        "too often (57360 pairs to compare). Allowed: 500"
    )
    assert rule_runs == []


async def test_fragment_cycles_are_refused_before_the_rules(api: Api, rule_runs: list[str]) -> None:
    """A fragment that spreads itself (through another) is refused by the cost check, with the
    validation code, before any rule walks it."""
    document = (
        "{ chatWidget { ...A } } fragment A on ChatWidget { scriptUrl ...B } "
        "fragment B on ChatWidget { userId ...A }"
    )
    async with api() as client:
        body = await gql(client, document)
    assert body["errors"] == [
        {
            "message": "Cannot spread fragment 'A' within itself.",
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert rule_runs == []


def test_each_fragment_is_summed_once() -> None:
    """The cost of a 2^200 fan-out is found by looking at each selection of the document once."""
    cost = document_cost(parse(fan_out(200)))
    (operation,) = cost.operations
    assert cost.visits == 2 + 200 * 2 + 1  # chatWidget, ...F0; two spreads each; the leaf
    assert operation.depth == 1
    assert operation.fields > 10**12
    (error,) = cost_errors(
        parse(fan_out(200)), GraphQLSettings(max_depth=8, max_aliases=10, max_fields=500)
    )
    assert "more than" in error.message


def test_fragment_cycles_and_unknown_fragments_cost_nothing() -> None:
    """A cycle or an unknown fragment ends the walk; the validation rules refuse them."""
    document = parse(
        "query { ...A ...Missing } fragment A on Query { a ...B } fragment B on Query { b ...A }"
    )
    (operation,) = document_cost(document).operations
    assert operation.fields == 2
