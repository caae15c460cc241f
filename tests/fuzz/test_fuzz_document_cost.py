"""Generated document shapes (fragments spreading fragments, inline fragments, directives,
aliases, nesting): the work done on a document is bounded by its size and the limits, not by
what its fragments expand to.

The work is counted, never timed: the selections the cost check looks at, and the pairs
graphql-core's OverlappingFieldsCanBeMerged rule compares on what the cost check lets through.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.validation.rules import overlapping_fields_can_be_merged as overlap
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.config import GraphQLSettings
from adapter.web.graphql import build_schema
from adapter.web.graphql.cost import cost_errors, document_cost, field_pairs
from tests.fuzz.support import FuzzClient, assert_no_crash
from tests.support import reference_data, settings_from

pytestmark = pytest.mark.faults

FUZZ = settings.get_profile("fuzz")
LIMITS = GraphQLSettings(max_depth=8, max_aliases=10, max_fields=500)  # the reference config's
TOKENS = 1000
# The codes an anonymous caller's documents can earn (no token, no site call goes wrong).
DOCUMENT_CODES = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "UNAUTHENTICATED"}
_EXPANSION_CAP = 5000

DIRECTIVES = ["", " @include(if: true)", " @skip(if: false)", " @include(if: false)"]
LEAVES = ["scriptUrl", "userId", "expiresAt", "options", "__typename"]


def _alias(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", "", "a: ", "b: ", "scriptUrl: "]))


@st.composite
def widget_body(draw: st.DrawFn, widgets: int) -> str:
    """Selections on ChatWidget: leaves, spreads of W fragments, inline fragments."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["leaf", "leaf", "spread", "inline"]))
        directive = draw(st.sampled_from(DIRECTIVES))
        if kind == "leaf":
            parts.append(f"{_alias(draw)}{draw(st.sampled_from(LEAVES))}{directive}")
        elif kind == "spread" and widgets:
            parts.append(f"...W{draw(st.integers(0, widgets - 1))}{directive}")
        else:
            parts.append(f"... on ChatWidget{directive} {{ {draw(st.sampled_from(LEAVES))} }}")
    return " ".join(parts)


@st.composite
def query_body(draw: st.DrawFn, own: int, fragments: int, widgets: int, nesting: int = 2) -> str:
    """Selections on Query; fragment `own` spreads mostly later fragments (sometimes any: a
    cycle), so chains that fan out are common."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["widget", "spread", "spread", "spread", "inline", "typename"]))
        directive = draw(st.sampled_from(DIRECTIVES))
        if kind == "spread" and fragments:
            later = range(own + 1, fragments) if own + 1 < fragments else range(fragments)
            target = draw(st.sampled_from(list(later))) if draw(st.booleans()) else own + 1
            if draw(st.integers(0, 20)) == 0:
                target = draw(st.integers(0, fragments - 1))  # maybe a cycle
            if target < fragments:
                parts.append(f"...Q{target}{directive}")
                continue
        if kind == "inline" and nesting:
            inner = draw(query_body(own, fragments, widgets, nesting - 1))
            parts.append(f"... on Query{directive} {{ {inner} }}")
        elif kind == "typename":
            parts.append(f"{_alias(draw)}__typename{directive}")
        else:
            parts.append(f"{_alias(draw)}chatWidget{directive} {{ {draw(widget_body(widgets))} }}")
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """One query, `Q0..Qn` fragments on Query and `W0..Wn` on ChatWidget."""
    count = draw(st.integers(0, 16))
    widgets = draw(st.integers(0, 3))
    text = [f"query Q {{ {draw(query_body(-1, count, widgets))} }}"]
    text += [
        f"fragment Q{i} on Query {{ {draw(query_body(i, count, widgets))} }}" for i in range(count)
    ]
    text += [
        f"fragment W{i} on ChatWidget {{ {draw(widget_body(i + 1 if i + 1 < widgets else 0))} }}"
        for i in range(widgets)
    ]
    return " ".join(text)


class _Selections(Visitor):
    """Counts the selections written in a document (each once, no spread followed)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter_field(self, *_args: Any) -> None:
        self.count += 1

    def enter_fragment_spread(self, *_args: Any) -> None:
        self.count += 1

    def enter_inline_fragment(self, *_args: Any) -> None:
        self.count += 1


def _written(document: DocumentNode) -> int:
    counter = _Selections()
    visit(document, counter)
    return counter.count


def _expanded_fields(document: DocumentNode) -> int | None:
    """Fields once every spread is replaced by its fragment, by brute force; None past the
    cap or on a cycle."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    total = 0
    pending: list[tuple[SelectionSetNode, frozenset[str]]] = [
        (d.selection_set, frozenset())
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    while pending:
        selection_set, path = pending.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += 1
                if total > _EXPANSION_CAP:
                    return None
                if selection.selection_set is not None:
                    pending.append((selection.selection_set, path))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, path))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in path:
                    return None
                if name in fragments:
                    pending.append((fragments[name].selection_set, path | {name}))
    return total


@pytest.fixture(scope="module")
def graphql_schema() -> Any:
    """graphql-core's schema of the reference configuration."""
    return build_schema(settings_from(reference_data()))._schema


@pytest.fixture
def overlap_work(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the comparisons graphql-core's overlap rule makes (field pairs, fragment pairs)."""
    work = [0]
    for name in ("find_conflict", "collect_conflicts_between_fragments"):
        original = getattr(overlap, name)

        def counted(*args: Any, _original: Any = original) -> Any:
            work[0] += 1
            return _original(*args)

        monkeypatch.setattr(overlap, name, counted)
    return work


@FUZZ
@given(text=documents())
def test_document_cost_is_one_pass_and_exact(text: str) -> None:
    """The cost check looks at each written selection at most once, and its field count is
    what the fragments expand to."""
    document = parse(text)
    cost = document_cost(document)
    assert cost.visits <= _written(document)
    expanded = _expanded_fields(document)
    if expanded is not None and not cost.cycles:
        assert sum(operation.fields for operation in cost.operations) == expanded


@FUZZ
@given(text=documents())
def test_what_passes_the_cost_check_is_cheap_to_validate(
    text: str, graphql_schema: Any, overlap_work: list[int]
) -> None:
    """A document the cost check lets through costs the overlap rule no more comparisons
    than the check counted, and those are bounded by max_fields."""
    document = parse(text)
    if cost_errors(document, LIMITS):
        return
    overlap_work[0] = 0
    validate(graphql_schema, document, specified_rules)
    fields = sum(operation.fields for operation in document_cost(document).operations)
    assert overlap_work[0] <= field_pairs(document) + fields
    assert field_pairs(document) <= LIMITS.max_fields


@FUZZ
@given(text=documents())
def test_generated_shapes_get_an_answer(fuzz_client: FuzzClient, text: str) -> None:
    """Any such document sent to the endpoint: an answer or a coded refusal, never a crash;
    a document over a bound is refused with the validation code."""
    try:
        over = cost_errors(parse(text, max_tokens=TOKENS), LIMITS)
    except GraphQLSyntaxError:
        over = []  # refused by the parser (checked below)
    body = json.dumps({"query": text}).encode()
    response = fuzz_client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    answer = assert_no_crash(response, {200})
    if over:
        assert answer.get("data") is None
        messages = {error["message"] for error in answer["errors"]}
        assert {error.message for error in over} <= messages
        assert {error["extensions"]["code"] for error in answer["errors"]} == {
            "GRAPHQL_VALIDATION_FAILED"
        }
    for error in answer.get("errors") or []:
        assert error["extensions"]["code"] in DOCUMENT_CODES
