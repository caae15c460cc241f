"""One upstream operation document of `resolvers/`, parsed and checked at start-up, so that a
typo is a start-up error naming the file and line, not a failed request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeNode,
    VariableDefinitionNode,
    parse,
    print_ast,
)

from adapter.errors import ConfigError
from adapter.globalids import GlobalIds
from adapter.operations.selection import collect_paths, find_field_selection, response_key

__all__ = ["IdWireType", "Operation", "is_list", "load_operation", "to_wire", "wire_type"]

IdWireType = Literal["int", "str"]
# Where the objects sit below a connection field, in the order tried.
_CONNECTION_PATHS = (("nodes",), ("edges", "node"))


@dataclass(frozen=True)
class Operation:
    """One parsed document with its single operation and its fragments."""

    source: str
    document: DocumentNode
    definition: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]

    @property
    def text(self) -> str:
        return print_ast(self.document)

    @property
    def variables(self) -> dict[str, VariableDefinitionNode]:
        definitions = self.definition.variable_definitions or ()
        return {var.variable.name.value: var for var in definitions}

    @property
    def top_fields(self) -> list[FieldNode]:
        return [s for s in self.definition.selection_set.selections if isinstance(s, FieldNode)]

    def problem(self, message: str) -> ConfigError:
        return _problem(f"{self.source}: {message}")

    def variable(self, name: str | None, *, role: str) -> str:
        """The named variable, or the only one when no name is configured."""
        names = list(self.variables)
        if name is None:
            if len(names) != 1:
                raise self.problem(
                    f"cannot tell which variable carries the {role}: "
                    f"the operation declares {names or 'none'}; configure it by name"
                )
            return names[0]
        if name not in names:
            raise self.problem(f"the operation declares no variable ${name} for the {role}")
        return name

    def result_path(self, configured: str | None) -> tuple[str, ...]:
        """The configured path, else the only top-level field, followed into `nodes` or
        `edges.node` when it is a connection that selects them."""
        if configured:
            return tuple(configured.split("."))
        fields = self.top_fields
        if len(fields) != 1:
            raise self.problem("more than one top-level field: configure result_path")
        top = (response_key(fields[0]),)
        for below in _CONNECTION_PATHS:
            if self._selection_at((*top, *below)) is not None:
                return (*top, *below)
        return top

    def _selection_at(self, path: Sequence[str]) -> SelectionSetNode | None:
        """The selection of the field at the response path `path`; None: not selected there."""
        selection: SelectionSetNode | None = self.definition.selection_set
        for key in path:
            selection = find_field_selection(selection, key, self.fragments)
        return selection

    def selected_under(self, path: str, result: Sequence[str]) -> str | None:
        """The result path to use when `path` is selected not under `result` but under its
        connection's `nodes` or `edges.node`, or under a shorter result path."""
        everything = self.selected_paths(())
        candidates = [(*result, *below) for below in _CONNECTION_PATHS]
        candidates += [tuple(result[:end]) for end in range(len(result) - 1, 0, -1)]
        for candidate in candidates:
            if ".".join((*candidate, path)) in everything:
                return ".".join(candidate)
        return None

    def selected_paths(self, below: Sequence[str]) -> frozenset[str]:
        """Dotted paths of every field selected under the response path `below`."""
        selection = self._selection_at(below)
        if selection is None:
            raise self.problem(f"result path {'.'.join(below)!r} is not selected")
        return collect_paths(selection, self.fragments)


def load_operation(path: Path) -> Operation:
    """Parse a document holding exactly one operation (plus any fragments)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _problem(f"{path.absolute()}: cannot read: {exc.strerror}") from None
    try:
        document = parse(text)
    except GraphQLError as exc:
        where = ""
        if exc.locations:
            where = f"line {exc.locations[0].line}, column {exc.locations[0].column}: "
        raise _problem(f"{source}: {where}{exc.message}") from None
    definitions = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if len(definitions) != 1:
        raise _problem(f"{source}: must hold exactly one operation, found {len(definitions)}")
    return Operation(source, document, definitions[0], fragments)


def _problem(message: str) -> ConfigError:
    return ConfigError([message], source="operation document")


def is_list(node: TypeNode) -> bool:
    if isinstance(node, NonNullTypeNode):
        node = node.type
    return isinstance(node, ListTypeNode)


def wire_type(definition: VariableDefinitionNode) -> IdWireType:
    node = definition.type
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)  # the grammar leaves no other case
    return "int" if node.name.value == "Int" else "str"


def to_wire(value: int | str, wire: IdWireType, global_ids: GlobalIds | None) -> int | str:
    """A chat id as a variable's value: the site's global id, else as the variable is typed."""
    if global_ids is not None:
        return global_ids.encode(value)
    return int(value) if wire == "int" else str(value)
