"""`init --schema FILE`: the site's schema from SDL or introspection JSON, for introspection off."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from graphql import build_schema, introspection_from_schema

from adapter.errors import InitError
from adapter.init.introspect import read_schema_file

SDL = """
type User { id: ID! name: String }
type Query { user(id: ID!): User me: User }
"""


def test_sdl_is_read(tmp_path: Path) -> None:
    """An SDL file gives the schema it describes."""
    path = tmp_path / "schema.graphql"
    path.write_text(SDL)
    schema = read_schema_file(path)
    assert schema.query_type is not None
    assert set(schema.query_type.fields) == {"user", "me"}


def test_sdl_with_directives_it_does_not_define_is_read(tmp_path: Path) -> None:
    """A subgraph's SDL (federation's @link and @key, undeclared) is read, not refused."""
    path = tmp_path / "schema.graphql"
    path.write_text(
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
        'type User @key(fields: "id") { id: ID! name: String }\n'
        "type Query { user(id: ID!): User }\n"
    )
    assert "User" in read_schema_file(path).type_map


@pytest.mark.parametrize("wrapped", [True, False])
def test_introspection_json_is_read(tmp_path: Path, wrapped: bool) -> None:
    """The introspection answer is read with or without its `data` wrapper."""
    exported = introspection_from_schema(build_schema(SDL))
    path = tmp_path / "introspection.json"
    path.write_bytes(orjson.dumps({"data": exported} if wrapped else exported))
    schema = read_schema_file(path)
    assert schema.query_type is not None
    assert "user" in schema.query_type.fields


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "starts like JSON but is not JSON"),
        (b'{"data": {"types": []}}', "is JSON without `__schema`"),
        (b'{"__schema": {"types": 1}}', "introspection JSON that is not a usable schema"),
        (b"type Query {\n  user(id: ID!: User\n}\n", "is not GraphQL SDL: Syntax Error"),
        (b"\xff\xfe\x00bad", "is neither UTF-8 SDL nor introspection JSON"),
    ],
)
def test_a_bad_file_is_one_clear_message(tmp_path: Path, content: bytes, message: str) -> None:
    """Each kind of bad file is an InitError naming the file and what is wrong with it."""
    path = tmp_path / "schema.graphql"
    path.write_bytes(content)
    with pytest.raises(InitError) as caught:
        read_schema_file(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    """An SDL syntax error says where it is."""
    path = tmp_path / "schema.graphql"
    path.write_text("type Query {\n  user(id: ID!: User\n}\n")
    with pytest.raises(InitError) as caught:
        read_schema_file(path)
    assert "(line 2, column" in caught.value.message


def test_a_missing_file_is_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path that is not there is said so, named in full, not a traceback."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InitError) as caught:
        read_schema_file(Path("nope.graphql"))
    assert caught.value.message == (
        f"cannot read the schema file {tmp_path / 'nope.graphql'}: No such file or directory"
    )
