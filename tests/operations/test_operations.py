"""Operation documents: parsed and checked at start-up, and turned into batched requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from adapter.config import Settings, settings_from_mapping
from adapter.errors import ConfigError, UpstreamProtocolError
from adapter.mapping_check import check_mapping_paths
from adapter.operations import build_operations
from adapter.operations.batches import AliasBatch, ListBatch
from adapter.operations.document import load_operation
from adapter.paths import dig
from tests.operations.support import DEMO_SCHEMA, document
from tests.support import SettingsFactory, deep_merge, reference_data, settings_from


def users_settings(
    make_settings: SettingsFactory, path: str, strategy: str = "list", **users: Any
) -> Settings:
    return make_settings(
        {
            "upstream": {
                "batch": {"strategy": strategy},
                "operations": {"users": {"document": path, **users}},
            }
        }
    )


def test_reference_documents_load(make_settings: SettingsFactory) -> None:
    """The shipped resolvers/ documents load, and the mapping reads only selected fields."""
    settings = make_settings()
    operations = build_operations(settings)
    assert isinstance(operations.users, ListBatch)
    assert operations.search is not None
    assert operations.login is not None
    assert operations.viewer is not None
    check_mapping_paths(settings, operations)


def test_list_request_sends_ids_in_one_variable(make_settings: SettingsFactory) -> None:
    """The list strategy sends the chunk as one list variable, as strings for `ID`."""
    batch = build_operations(make_settings()).users
    assert isinstance(batch, ListBatch)
    text, variables = batch.request([1, 2, 3])
    assert variables == {"ids": ["1", "2", "3"]}
    assert not validate(DEMO_SCHEMA, parse(text))
    data = {"users": [{"id": "1"}, {"id": "2"}]}
    assert batch.users(data, [1, 2, 3]) == [{"id": "1"}, {"id": "2"}]
    assert batch.users({"users": []}, [1]) == []


@pytest.mark.parametrize(
    "data",
    [
        {"users": None},
        {},
        {"users": {}},
        {"users": "notalist"},
        {"users": [{"id": "1"}, "x"]},
        {"other": []},
    ],
)
def test_list_answer_without_the_documents_shape_is_a_protocol_error(
    make_settings: SettingsFactory, data: dict[str, Any]
) -> None:
    """A list result that is missing, null, not a list, or holds non-objects is no answer."""
    batch = build_operations(make_settings()).users
    assert isinstance(batch, ListBatch)
    with pytest.raises(UpstreamProtocolError, match="users"):
        batch.users(data, [1])


@pytest.mark.parametrize(
    "data",
    [{}, {"u0": {"id": "5"}}, {"u0": {"id": "5"}, "u1": 7}, {"u0": [], "u1": None}],
)
def test_alias_answer_without_the_documents_shape_is_a_protocol_error(
    make_settings: SettingsFactory, data: dict[str, Any]
) -> None:
    """An aliased field that is missing or not an object (null is an absent user) is no answer."""
    settings = users_settings(make_settings, "resolvers/user_by_id.graphql", "alias")
    batch = build_operations(settings).users
    assert isinstance(batch, AliasBatch)
    with pytest.raises(UpstreamProtocolError):
        batch.users(data, [5, 9])


def test_alias_request_repeats_the_field(make_settings: SettingsFactory) -> None:
    """The alias strategy builds one valid document with an aliased field per id."""
    settings = users_settings(make_settings, "resolvers/user_by_id.graphql", "alias")
    batch = build_operations(settings).users
    assert isinstance(batch, AliasBatch)
    text, variables = batch.request([5, 9, 12])
    assert variables == {"id_0": "5", "id_1": "9", "id_2": "12"}
    assert "u2: user(id: $id_2)" in text
    assert not validate(DEMO_SCHEMA, parse(text))
    assert batch.request([1, 2, 3])[0] is text  # built once per chunk length
    data = {"u0": {"id": "5"}, "u1": None, "u2": {"id": "12"}}
    assert batch.users(data, [5, 9, 12]) == [{"id": "5"}, None, {"id": "12"}]


def test_alias_keeps_constant_variables_and_int_ids(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """Other variables are declared once and sent as configured; `Int` ids are sent as ints."""
    path = document(
        tmp_path,
        "query Q($id: Int!, $site: String!) { member(id: $id, site: $site) { id name: login } }",
    )
    settings = make_settings(
        {
            "upstream": {
                "batch": {"strategy": "alias"},
                "operations": {
                    "users": {"document": path, "ids_variable": "id", "variables": {"site": "x"}}
                },
            },
        }
    )
    batch = build_operations(settings).users
    text, variables = batch.request([3, 4])
    assert variables == {"site": "x", "id_0": 3, "id_1": 4}
    assert text.count("$site: String!") == 1
    assert "u1: member(id: $id_1, site: $site)" in text


def test_nested_result_path(tmp_path: Path, make_settings: SettingsFactory) -> None:
    """A connection-shaped answer is read at the configured result path."""
    path = document(tmp_path, "query Q($ids: [ID!]!) { users(ids: $ids) { nodes { id n } } }")
    settings = users_settings(make_settings, path, result_path="users.nodes")
    batch = build_operations(settings).users
    assert isinstance(batch, ListBatch)
    assert batch.user_paths == frozenset({"id", "n"})
    assert batch.users({"users": {"nodes": [{"id": "1"}]}}, [1]) == [{"id": "1"}]


@pytest.mark.parametrize(
    ("text", "strategy", "users", "message"),
    [
        ("query {", "list", {}, "line 1, column 8"),
        ("query A { a } query B { b }", "list", {}, "exactly one operation, found 2"),
        ("query A($a: [ID!], $b: [ID!]) { u(a: $a) { id } }", "list", {}, "cannot tell which"),
        ("query A($a: [ID!]) { u(a: $a) { id } }", "list", {"ids_variable": "b"}, "no variable $b"),
        ("query A($a: ID!) { u(a: $a) { id } }", "list", {}, "must be a list"),
        ("query A($a: [ID!]) { u(a: $a) { id } }", "alias", {}, "must be a single id"),
        (
            "query A($a: ID!) { u(a: $a) { id } v { id } }",
            "alias",
            {"result_path": "u"},
            "exactly one",
        ),
        ("query A($a: ID!) { u(a: $a) { id } }", "alias", {"result_path": "v"}, "not selected"),
        ("query A($a: [ID!]) { u(a: $a) { id } v { id } }", "list", {}, "configure result_path"),
    ],
)
def test_bad_documents_are_start_up_errors(
    tmp_path: Path,
    make_settings: SettingsFactory,
    text: str,
    strategy: str,
    users: dict[str, Any],
    message: str,
) -> None:
    """A document that cannot work is refused at start-up, naming the file and the reason."""
    path = document(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        build_operations(users_settings(make_settings, path, strategy, **users))
    report = str(caught.value)
    assert path in report
    assert message in report


def test_every_bad_document_is_reported_at_once(make_settings: SettingsFactory) -> None:
    """Missing documents for several operations are all listed in one error."""
    settings = make_settings(
        {
            "upstream": {
                "operations": {
                    "users": {"document": "nope/users.graphql"},
                    "search": {"document": "nope/search.graphql"},
                    "login": {"document": "nope/login.graphql"},
                    "viewer": {"document": "nope/viewer.graphql"},
                }
            }
        }
    )
    with pytest.raises(ConfigError) as caught:
        build_operations(settings)
    assert len(caught.value.problems) == 4
    assert all("cannot read" in problem for problem in caught.value.problems)


def test_a_missing_document_is_named_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document that cannot be read is named in full, even when the file named it relatively."""
    monkeypatch.chdir(tmp_path)
    data = deep_merge(
        reference_data(), {"upstream": {"operations": {"users": {"document": "x.graphql"}}}}
    )
    settings = settings_from_mapping(data, environ={})
    with pytest.raises(ConfigError) as caught:
        build_operations(settings)
    missing = f"{tmp_path / 'x.graphql'}: cannot read: No such file or directory"
    assert missing in caught.value.problems


def test_login_variables_must_exist(tmp_path: Path, make_settings: SettingsFactory) -> None:
    """A login document without the configured variables is refused."""
    path = document(tmp_path, "mutation M($user: String!) { login(u: $user) { user { id } } }")
    settings = make_settings({"upstream": {"operations": {"login": {"document": path}}}})
    with pytest.raises(ConfigError, match=r"no variable \$username"):
        build_operations(settings)


def test_mapping_must_read_selected_fields(make_settings: SettingsFactory) -> None:
    """A mapping path that a document returning users does not select fails at start-up."""
    settings = make_settings({"mapping": {"fields": {"user_mail": "email", "x": "avatar.file"}}})
    with pytest.raises(ConfigError) as caught:
        check_mapping_paths(settings, build_operations(settings))
    assert caught.value.problems == [
        f"mapping.fields.{field}: reads {path!r}, which the {document} document does not select"
        for document in ("users", "search", "friends")
        for field, path in (("user_mail", "email"), ("x", "avatar.file"))
    ]


def login_document(tmp_path: Path, selection: str) -> str:
    return document(
        tmp_path,
        "mutation L($username: String!, $password: String!) "
        f"{{ login(username: $username, password: $password) {{ user {{ {selection} }} }} }}",
    )


@pytest.mark.parametrize(
    ("selection", "missing"),
    [
        ("username displayName role", [("mapping.id", "id")]),
        ("id role", [("mapping.fields.name", "displayName"), ("mapping.fields.name", "username")]),
        ("id username displayName", [("mapping.fields.chat_role", "role")]),
    ],
)
def test_login_document_must_select_what_the_login_answer_reads(
    tmp_path: Path, make_settings: SettingsFactory, selection: str, missing: list[tuple[str, str]]
) -> None:
    """The login answer reads the id, the name and the chat role (`authuser`'s user_role): the
    login document must select their paths."""
    path = login_document(tmp_path, selection)
    settings = make_settings({"upstream": {"operations": {"login": {"document": path}}}})
    with pytest.raises(ConfigError) as caught:
        check_mapping_paths(settings, build_operations(settings))
    assert caught.value.problems == [
        f"{where}: reads {read!r}, which the login document does not select"
        for where, read in missing
    ]


def test_login_document_needs_only_what_the_login_answer_reads(tmp_path: Path) -> None:
    """The other mapped fields (avatar, badge, profiles...) are not asked of the login document;
    without a mapped chat_role, neither is the role."""
    selection = "id username displayName"
    data = deep_merge(
        reference_data(),
        {"upstream": {"operations": {"login": {"document": login_document(tmp_path, selection)}}}},
    )
    del data["mapping"]["fields"]["chat_role"]
    settings = settings_from(data)
    check_mapping_paths(settings, build_operations(settings))


def test_paths_into_a_selected_scalar_are_allowed(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """A path into a selected leaf (a JSON scalar) passes the start-up check."""
    path = document(tmp_path, "query Q($ids: [ID!]!) { users(ids: $ids) { id name meta } }")
    data = deep_merge(reference_data(), {"upstream": {"operations": {"users": {"document": path}}}})
    data["mapping"] = {"fields": {"name": "name", "perm": "meta.canWrite"}}
    for other in ("search", "friends", "login"):
        del data["upstream"]["operations"][other]
    settings = settings_from(data)
    check_mapping_paths(settings, build_operations(settings))


def test_load_operation_and_dig(tmp_path: Path) -> None:
    """A single operation loads with its fragments; dig stops at anything not a mapping."""
    operation = load_operation(
        Path(document(tmp_path, "query Q { a { ...F } } fragment F on A { b }"))
    )
    assert set(operation.fragments) == {"F"}
    assert operation.selected_paths(("a",)) == frozenset({"b"})
    assert dig({"a": {"b": 1}}, ("a", "b")) == 1
    assert dig({"a": [1]}, ("a", "b")) is None


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ("allMembers(filter: {id: {in: $ids}}) { nodes { id name } }", ("allMembers", "nodes")),
        ("users(ids: $ids) { edges { cursor node { id name } } }", ("users", "edges", "node")),
        ("users(ids: $ids) { id name }", ("users",)),
    ],
)
def test_result_path_follows_connections(
    tmp_path: Path, make_settings: SettingsFactory, selection: str, expected: tuple[str, ...]
) -> None:
    """Without result_path, a connection's `nodes` or `edges.node` is where the users are."""
    path = document(tmp_path, f"query ChatUsers($ids: [ID!]!) {{ {selection} }}")
    settings = make_settings({"upstream": {"operations": {"users": {"document": path}}}})
    users = build_operations(settings).users
    assert users.result_path == expected
    assert {"id", "name"} <= users.user_paths


def test_users_are_found_through_edges(tmp_path: Path, make_settings: SettingsFactory) -> None:
    """The users of an `edges { node }` answer are each edge's node, nulls left out.

    A null where the connection should be is not an answer: no id may be taken for unknown.
    """
    path = document(
        tmp_path, "query ChatUsers($ids: [ID!]!) { users(ids: $ids) { edges { node { id } } } }"
    )
    settings = make_settings({"upstream": {"operations": {"users": {"document": path}}}})
    batch = build_operations(settings).users
    assert isinstance(batch, ListBatch)
    data = {"users": {"edges": [{"node": {"id": "1"}}, {"node": None}, {"node": {"id": "2"}}]}}
    assert batch.users(data, [1, 2]) == [{"id": "1"}, {"id": "2"}]
    with pytest.raises(UpstreamProtocolError, match=r"no list of users at 'users\.edges\.node'"):
        batch.users({"users": None}, [1])
    with pytest.raises(UpstreamProtocolError, match=r"no list of users at 'users\.edges\.node'"):
        batch.users({"users": {"edges": None}}, [1])


def test_mapping_error_names_the_result_path_to_use(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """A mapped path selected under the connection's `nodes` gets an error naming that path."""
    path = document(
        tmp_path,
        "query ChatUsers($ids: [Int!]!) { allMembers(filter: {id: {in: $ids}}) "
        "{ nodes { id name } } }",
    )
    settings = make_settings(
        {"upstream": {"operations": {"users": {"document": path, "result_path": "allMembers"}}}}
    )
    with pytest.raises(ConfigError) as caught:
        check_mapping_paths(settings, build_operations(settings))
    assert caught.value.problems[0] == (
        "mapping.id: reads 'id', which the users document does not select under 'allMembers'; "
        "it is selected under 'allMembers.nodes': set "
        "upstream.operations.users.result_path: allMembers.nodes"
    )
