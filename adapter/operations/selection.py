"""The one walk over a document's selection: selected paths, result paths, the schema check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

__all__ = ["collect_paths", "find_field_selection", "response_key", "walk_selection"]

Within = TypeVar("Within")


def response_key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def walk_selection(
    selection: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    within: Within,
    enter_field: Callable[[FieldNode, str, Within], Within | None],
    enter_fragment: Callable[[str, Within], Within | None] | None = None,
    prefix: str = "",
) -> None:
    """Visit every field selected under `selection`, depth first in document order, through
    inline fragments and the document's named fragments.

    `enter_field(node, path, within)` sees each field with its dotted response path (aliases
    followed) and returns what its own selection is walked `within`, or None to skip it.
    `enter_fragment(type_condition, within)` does the same for a fragment with a type condition
    (without it, fragments are walked within what holds them).
    """
    if selection is None:
        return
    for node in selection.selections:
        inner: Within | None
        if isinstance(node, FieldNode):
            path = f"{prefix}{response_key(node)}"
            inner = enter_field(node, path, within)
            if inner is not None:
                walk_selection(
                    node.selection_set, fragments, inner, enter_field, enter_fragment, f"{path}."
                )
            continue
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            below = node.selection_set
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            fragment = fragments[node.name.value]
            condition, below = fragment.type_condition.name.value, fragment.selection_set
        else:
            continue
        inner = within
        if condition is not None and enter_fragment is not None:
            inner = enter_fragment(condition, within)
        if inner is not None:
            walk_selection(below, fragments, inner, enter_field, enter_fragment, prefix)


def find_field_selection(
    selection: SelectionSetNode | None, key: str, fragments: Mapping[str, FragmentDefinitionNode]
) -> SelectionSetNode | None:
    """The selection of the first field answering at `key` directly under `selection`."""
    found: list[SelectionSetNode | None] = []

    def match(node: FieldNode, path: str, within: bool) -> bool | None:
        if path == key:
            found.append(node.selection_set)
        return None  # one level only

    walk_selection(selection, fragments, True, match)
    return found[0] if found else None


def collect_paths(
    selection: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> frozenset[str]:
    paths: set[str] = set()

    def collect(node: FieldNode, path: str, within: bool) -> bool:
        paths.add(path)
        return within

    walk_selection(selection, fragments, True, collect)
    return frozenset(paths)
