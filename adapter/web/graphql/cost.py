"""What a document costs before it runs: depth, aliases and fields, each fragment counted once.

The cost is that of the document as executed: a fragment spread twice costs twice, so a chain
of fragments that each spread the next twice costs 2^n fields. It is computed in one pass over
the document, whatever its shape: each fragment's cost is computed once and remembered, then
added wherever it is spread (Strawberry's depth and alias limiters walk every spread again, so
that chain takes them 2^n steps). Counts saturate at `_CEILING`, so the arithmetic stays small.

Depth is counted as Strawberry's `QueryDepthLimiter` counts it: a field with a selection set
is one level deeper than its deepest child, a leaf is level 0, and introspection fields
(`__schema`, `__type`) add nothing, so a client's introspection query is not refused for its
nested `ofType`s (their fields still count).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
)

__all__ = ["CostLimits", "DocumentCost", "OperationCost", "cost_errors", "document_cost"]

# Counts past this are all "too many"; far above any limit the settings allow.
_CEILING = 1 << 40


@dataclass(frozen=True)
class CostLimits:
    """The configured bounds (`graphql.max_depth`, `max_aliases`, `max_fields`)."""

    max_depth: int
    max_aliases: int
    max_fields: int


@dataclass(frozen=True)
class OperationCost:
    """One operation's cost, fragments expanded."""

    node: OperationDefinitionNode
    depth: int
    aliases: int
    fields: int


@dataclass
class DocumentCost:
    """Each operation's cost, and the selections looked at to find them (the work done)."""

    operations: list[OperationCost] = field(default_factory=list)
    visits: int = 0


class _Frame:
    """A selection set being summed: its selections, where we are, and the running totals."""

    __slots__ = ("aliases", "depth", "fields", "fragment", "index", "lift", "selections")

    def __init__(
        self,
        selections: tuple[SelectionNode, ...],
        lift: int | None,
        fragment: str | None = None,
    ) -> None:
        self.selections = selections
        self.index = 0
        # How this set's depth counts in its parent's: +1 for a field's, +0 for a fragment's,
        # None for an introspection field's (not at all).
        self.lift = lift
        self.fragment = fragment
        self.depth = self.aliases = self.fields = 0

    def add(self, depth: int, aliases: int, fields: int) -> None:
        self.depth = max(self.depth, depth)
        self.aliases = min(self.aliases + aliases, _CEILING)
        self.fields = min(self.fields + fields, _CEILING)


def document_cost(document: DocumentNode) -> DocumentCost:
    """Every operation's depth, aliases and fields, in one pass (no recursion: a deep document
    cannot exhaust the stack). Unknown fragments and fragment cycles count as nothing: the
    validation rules refuse them."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    done: dict[str, tuple[int, int, int]] = {}
    started: set[str] = set()
    result = DocumentCost()
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        stack = [_Frame(tuple(operation.selection_set.selections), 0)]
        while True:
            frame = stack[-1]
            if frame.index == len(frame.selections):
                stack.pop()
                totals = (frame.depth, frame.aliases, frame.fields)
                if frame.fragment is not None:
                    done[frame.fragment] = totals
                if not stack:
                    break
                depth = 0 if frame.lift is None else frame.depth + frame.lift
                stack[-1].add(depth, frame.aliases, frame.fields)
                continue
            selection = frame.selections[frame.index]
            frame.index += 1
            result.visits += 1
            if isinstance(selection, FieldNode):
                frame.add(0, 1 if selection.alias else 0, 1)
                if selection.selection_set is not None:
                    lift = None if selection.name.value.startswith("__") else 1
                    stack.append(_Frame(tuple(selection.selection_set.selections), lift))
            elif isinstance(selection, InlineFragmentNode):
                stack.append(_Frame(tuple(selection.selection_set.selections), 0))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in done:
                    frame.add(*done[name])
                elif name in fragments and name not in started:
                    started.add(name)
                    body = fragments[name].selection_set.selections
                    stack.append(_Frame(tuple(body), 0, name))
        result.operations.append(OperationCost(operation, *totals))
    return result


def cost_errors(document: DocumentNode, limits: CostLimits) -> list[GraphQLError]:
    """An error for each bound an operation of `document` goes over (none: it may run)."""
    errors: list[GraphQLError] = []
    for cost in document_cost(document).operations:
        name = cost.node.name.value if cost.node.name else "anonymous"
        if cost.depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                    cost.node,
                )
            )
        if cost.aliases > limits.max_aliases:
            errors.append(
                GraphQLError(
                    f"{_count(cost.aliases)} aliases found. Allowed: {limits.max_aliases}",
                    cost.node,
                )
            )
        if cost.fields > limits.max_fields:
            errors.append(
                GraphQLError(
                    f"'{name}' selects {_count(cost.fields)} fields, fragments counted each "
                    f"time they are spread. Allowed: {limits.max_fields}",
                    cost.node,
                )
            )
    return errors


def _count(value: int) -> str:
    return f"more than {_CEILING - 1}" if value >= _CEILING else str(value)
