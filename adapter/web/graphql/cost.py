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

What passes is then bounded for graphql-core's rules too: the OverlappingFieldsCanBeMerged rule
compares every pair of same-named fields (and of fragments spread side by side) at each response
path, so 240 `chatWidget { scriptUrl }` in a row (480 fields) cost it 57,360 comparisons, over a
second; `field_pairs` counts those pairs and `cost_errors` refuses more than `max_fields` of
them. Fragment cycles and unused fragments are refused here as well, before any rule walks them.
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
    SelectionSetNode,
)

from adapter.config import GraphQLSettings

__all__ = [
    "DocumentCost",
    "OperationCost",
    "cost_errors",
    "document_cost",
    "field_pairs",
]

# Counts past this are all "too many"; far above any limit the settings allow.
_CEILING = 1 << 40
# Pairs the overlap rule may compare, per allowed field: each pair costs it about 25-40 us, so
# the default 500 fields allow 500 pairs, some 20 ms; a document that names each field once, and
# spreads one fragment per selection set, has none.
_PAIRS_PER_FIELD = 1


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
    # Fragments spread within themselves, and fragments no operation spreads.
    cycles: set[str] = field(default_factory=set)
    unused: list[str] = field(default_factory=list)


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
    cannot exhaust the stack). Unknown fragments count as nothing (a validation rule refuses
    them); fragment cycles are noted and count as nothing past the cycle."""
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
                elif name in started:
                    result.cycles.add(name)
                elif name in fragments:
                    started.add(name)
                    body = fragments[name].selection_set.selections
                    stack.append(_Frame(tuple(body), 0, name))
        result.operations.append(OperationCost(operation, *totals))
    result.unused = [name for name in fragments if name not in started]
    return result


def field_pairs(document: DocumentNode) -> int:
    """How many pairs graphql-core's OverlappingFieldsCanBeMerged rule may compare: at each
    response path, fragments expanded, n fields with one response name make n(n-1)/2 pairs, and
    so do n fragment spreads. Linear in the expanded document: only call it once
    `document_cost` has bounded that (and found no fragment cycle)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    pairs = 0
    # Each entry: the selection sets merged at one response path.
    pending: list[list[SelectionSetNode]] = [
        [d.selection_set] for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    while pending:
        merged: dict[str, list[SelectionSetNode | None]] = {}
        spreads = 0
        sets = pending.pop()
        while sets:
            for selection in sets.pop().selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    merged.setdefault(key, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    sets.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads += 1
                    fragment = fragments.get(selection.name.value)
                    if fragment is not None:
                        sets.append(fragment.selection_set)
        pairs += spreads * (spreads - 1) // 2  # the rule compares the fragments pairwise too
        for same in merged.values():
            pairs += len(same) * (len(same) - 1) // 2
            children = [child for child in same if child is not None]
            if children:
                pending.append(children)
    return pairs


def cost_errors(document: DocumentNode, limits: GraphQLSettings) -> list[GraphQLError]:
    """Errors for what makes `document` too costly to validate or run (none: it may), by
    `limits.max_depth`, `max_aliases` and `max_fields`."""
    cost = document_cost(document)
    errors = [
        GraphQLError(f"Cannot spread fragment '{name}' within itself.") for name in cost.cycles
    ]
    errors += [GraphQLError(f"Fragment '{name}' is never used.") for name in cost.unused]
    for operation in cost.operations:
        name = operation.node.name.value if operation.node.name else "anonymous"
        if operation.depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                    operation.node,
                )
            )
    aliases = sum(operation.aliases for operation in cost.operations)
    if aliases > limits.max_aliases:
        errors.append(
            GraphQLError(f"{_count(aliases)} aliases found. Allowed: {limits.max_aliases}")
        )
    fields = sum(operation.fields for operation in cost.operations)
    if fields > limits.max_fields:
        errors.append(
            GraphQLError(
                f"The document selects {_count(fields)} fields, fragments counted each time "
                f"they are spread. Allowed: {limits.max_fields}"
            )
        )
    if errors:
        return errors
    pairs, allowed = field_pairs(document), limits.max_fields * _PAIRS_PER_FIELD
    if pairs > allowed:
        errors.append(
            GraphQLError(
                f"The document repeats fields under one name, or spreads fragments side by "
                f"side, too often ({pairs} pairs to compare). Allowed: {allowed}"
            )
        )
    return errors


def _count(value: int) -> str:
    return f"more than {_CEILING - 1}" if value >= _CEILING else str(value)
