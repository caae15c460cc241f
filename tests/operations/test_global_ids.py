"""Global ids: chat ids encoded the way a site's `node(id:)` expects, and decoded from answers."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from adapter.config import GlobalIdSettings
from adapter.errors import ConfigError
from adapter.globalids import GlobalIds
from adapter.operations import build_operations
from tests.support import SettingsFactory


def codec(**settings: Any) -> GlobalIds:
    return GlobalIds(GlobalIdSettings.model_validate(settings))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("settings", "local", "wire"),
    [
        ({"encoding": "relay", "type": "User"}, 5, b64("User:5")),
        ({"encoding": "relay", "type": "User"}, "abc", b64("User:abc")),
        ({"encoding": "postgraphile", "type": "members"}, 5, b64('["members",5]')),
        ({"encoding": "postgraphile", "type": "members"}, "x1", b64('["members","x1"]')),
        (
            {"encoding": "template", "template": "gid://shopify/Customer/{id}"},
            5,
            "gid://shopify/Customer/5",
        ),
    ],
)
def test_encode_and_decode_round_trip(
    settings: dict[str, Any], local: int | str, wire: str
) -> None:
    """Each encoding writes the id as the site's libraries do, and reads it back as text."""
    ids = codec(**settings)
    assert ids.encode(local) == wire
    assert ids.decode(wire) == str(local)


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ({"encoding": "relay", "type": "User"}, b64("Post:5")),  # another type
        ({"encoding": "relay", "type": "User"}, b64("User:")),  # no id
        ({"encoding": "relay", "type": "User"}, "not base64!"),
        ({"encoding": "relay", "type": "User"}, "A" * 5000),  # too long to look at
        ({"encoding": "relay", "type": "User"}, base64.b64encode(b"\xff\xfe").decode()),
        ({"encoding": "postgraphile", "type": "members"}, b64('["posts",5]')),
        ({"encoding": "postgraphile", "type": "members"}, b64('["members",true]')),
        ({"encoding": "postgraphile", "type": "members"}, b64('{"members":5}')),
        ({"encoding": "postgraphile", "type": "members"}, b64("members:5")),
        ({"encoding": "template", "template": "gid://shopify/Customer/{id}"}, "gid://x/User/5"),
    ],
)
def test_decode_refuses_other_ids(settings: dict[str, Any], text: str) -> None:
    """Text that is not a global id of the configured type decodes to None, never raises."""
    assert codec(**settings).decode(text) is None


def test_local_id_keeps_plain_ids() -> None:
    """An answer's plain id (a `databaseId` field) is kept as it is."""
    ids = codec(encoding="relay", type="User")
    assert ids.local_id("17") == "17"
    assert ids.local_id(b64("User:17")) == "17"


def test_padding_may_be_left_off() -> None:
    """Some servers strip base64's `=` padding; the id still decodes."""
    assert codec(encoding="relay", type="User").decode(b64("User:5").rstrip("=")) == "5"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"encoding": "relay"}, "needs `type`"),
        ({"encoding": "template", "template": "gid://x/{id}/{id}"}, "exactly once"),
        ({"encoding": "template"}, "exactly once"),
        ({"encoding": "template", "template": "u/{id}", "type": "User"}, "takes no `type`"),
        ({"encoding": "relay", "type": "User", "template": "u/{id}"}, "takes no `template`"),
        ({"encoding": "base32", "type": "User"}, "relay"),
    ],
)
def test_incomplete_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    """A global-id setting missing what its encoding needs is a configuration error."""
    with pytest.raises(ValidationError, match=message):
        GlobalIdSettings.model_validate(settings)


def test_batches_send_encoded_ids(tmp_path: Path, make_settings: SettingsFactory) -> None:
    """With upstream.global_id, the alias strategy sends each chat id as a global id."""
    path = tmp_path / "node.graphql"
    path.write_text("query ChatUser($id: ID!) { node(id: $id) { ... on User { id name } } }")
    settings = make_settings(
        {
            "upstream": {
                "global_id": {"encoding": "relay", "type": "User"},
                "batch": {"strategy": "alias"},
                "operations": {"users": {"document": str(path)}},
            }
        }
    )
    _, variables = build_operations(settings).users.request([5, 6])
    assert variables == {"id_0": b64("User:5"), "id_1": b64("User:6")}


def test_int_variable_with_global_ids_is_refused(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """A global id is text: an `Int` id variable with global ids is a start-up error."""
    path = tmp_path / "users.graphql"
    path.write_text("query ChatUsers($ids: [Int!]!) { users(ids: $ids) { id name } }")
    settings = make_settings(
        {
            "upstream": {
                "global_id": {"encoding": "relay", "type": "User"},
                "operations": {"users": {"document": str(path)}},
            }
        }
    )
    with pytest.raises(ConfigError, match="global ids, which are text"):
        build_operations(settings)


def test_list_batch_sends_template_ids(tmp_path: Path, make_settings: SettingsFactory) -> None:
    """With a gid template, the list strategy sends every chat id as a gid:// URI."""
    path = tmp_path / "nodes.graphql"
    path.write_text(
        "query ChatUsers($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { id name } } }"
    )
    settings = make_settings(
        {
            "upstream": {
                "global_id": {"encoding": "template", "template": "gid://shopify/Customer/{id}"},
                "operations": {"users": {"document": str(path)}},
            }
        }
    )
    batch = build_operations(settings).users
    _, variables = batch.request([5, 7])
    assert variables == {"ids": ["gid://shopify/Customer/5", "gid://shopify/Customer/7"]}
    assert batch.result_path == ("nodes",)


def test_friends_query_sends_a_global_id_and_reads_edges(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """The friends query encodes the user's id, and finds friends through `edges { node }`."""
    path = tmp_path / "friends.graphql"
    path.write_text(
        "query ChatFriends($id: ID!) { node(id: $id) { ... on User { "
        "friends { edges { node { id displayName username } } } } } }"
    )
    settings = make_settings(
        {
            "upstream": {
                "global_id": {"encoding": "relay", "type": "User"},
                "operations": {
                    "friends": {"document": str(path), "result_path": "node.friends.edges.node"}
                },
            }
        }
    )
    friends = build_operations(settings).friends
    assert friends is not None
    assert friends.request(5)[1] == {"id": b64("User:5")}
    data = {"node": {"friends": {"edges": [{"node": {"id": b64("User:6")}}, {"node": None}]}}}
    assert friends.friends(data) == [{"id": b64("User:6")}]
    assert friends.friends({"node": None}) is None  # no such user
