"""`walk_selection`: the one walk over a document's selection, for paths and for schema checks."""

from __future__ import annotations

from pathlib import Path

from graphql import FieldNode

from adapter.operations.document import load_operation
from adapter.operations.selection import walk_selection

DOCUMENT = """
query Q($ids: [ID!]!) {
  users(ids: $ids) {
    nodes {
      handle: username
      ... on Admin { level }
      ... { plain }
      ...Extra
    }
  }
}
fragment Extra on Member { since }
"""


def test_paths_follow_aliases_and_fragments_with_their_conditions(tmp_path: Path) -> None:
    """Every field is seen with its response path; each fragment's type condition is handed to
    `enter_fragment`, whose answer the fragment's fields are walked within."""
    path = tmp_path / "q.graphql"
    path.write_text(DOCUMENT)
    operation = load_operation(path)
    seen: list[tuple[str, str]] = []

    def enter_field(node: FieldNode, at: str, within: str) -> str:
        seen.append((at, within))
        return within

    def enter_fragment(condition: str, within: str) -> str | None:
        return None if condition == "Admin" else f"{within}>{condition}"

    walk_selection(
        operation.definition.selection_set, operation.fragments, "root", enter_field, enter_fragment
    )
    assert seen == [
        ("users", "root"),
        ("users.nodes", "root"),
        ("users.nodes.handle", "root"),
        ("users.nodes.plain", "root"),  # no type condition: walked within what holds it
        ("users.nodes.since", "root>Member"),
    ]


def test_a_field_entered_with_none_is_not_walked_into(tmp_path: Path) -> None:
    """None from `enter_field` skips the field's own selection; without `enter_fragment`,
    fragments are walked as if inline."""
    path = tmp_path / "q.graphql"
    path.write_text(DOCUMENT)
    operation = load_operation(path)
    seen: list[str] = []

    def stop_at_nodes(node: FieldNode, at: str, within: bool) -> bool | None:
        seen.append(at)
        return None if at == "users.nodes" else within

    walk_selection(operation.definition.selection_set, operation.fragments, True, stop_at_nodes)
    assert seen == ["users", "users.nodes"]
    assert operation.selected_paths(("users", "nodes")) == {"handle", "level", "plain", "since"}
