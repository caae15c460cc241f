"""The API as a federation-2 subgraph: its SDL, the prefix, the user entity, the viewer rules.

These call the adapter in-process the way a gateway does (no Origin, the forwarded cookie);
tests/graphql/test_gateway.py composes it with a real Apollo Gateway.
"""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from adapter.errors import ConfigError
from adapter.web.graphql.federation import lowest_federation_version
from tests.graphql.support import ISSUE, error_code, session_cookie
from tests.support import CHAT_AUTH, SettingsFactory, gql

Api = Any

ENTITY = {"type_name": "User", "key_field": "id", "key_type": "ID", "field": "chatProfile"}
FEDERATED = {"graphql": {"federation": {"enabled": True, "entity": ENTITY}}}
SDL = "{ _service { sdl } }"
ENTITIES = """query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id chatProfile { userId name } } }
}"""


def users(*ids: str) -> dict[str, Any]:
    """Entity representations of the site's users, as a gateway sends them."""
    return {"representations": [{"__typename": "User", "id": i} for i in ids]}


async def test_service_sdl_is_a_federation_2_subgraph(api: Api) -> None:
    """`_service { sdl }` links federation v2, keys the user entity and keeps the root fields."""
    async with api(FEDERATED) as client:
        body = await gql(client, SDL)
    sdl = body["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.' in sdl
    assert 'type User @key(fields: "id")' in sdl
    assert "chatProfile: ChatUser" in sdl
    for field in ("issueChatToken: ChatToken!", "chatWidget: ChatWidget", "chatUsers(ids:"):
        assert field in sdl
    assert "invalidateChatUsers(ids:" in sdl


async def test_the_link_names_the_lowest_federation_version_it_needs(api: Api) -> None:
    """By default @link names v2.0 (all @key needs), which every federation-2 gateway composes."""
    async with api(FEDERATED) as client:
        sdl = (await gql(client, SDL))["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.0"' in sdl


async def test_the_federation_version_can_be_pinned(api: Api) -> None:
    """`federation.version: "2.9"` writes v2.9 (the newest Mesh Compose 1 composes)."""
    pinned = {"graphql": {"federation": {"enabled": True, "entity": ENTITY, "version": "2.9"}}}
    async with api(pinned) as client:
        sdl = (await gql(client, SDL))["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl


def test_an_unknown_federation_version_is_refused(make_settings: SettingsFactory) -> None:
    """A version strawberry cannot write is a configuration error naming the field."""
    with pytest.raises(ConfigError) as caught:
        make_settings({"graphql": {"federation": {"enabled": True, "version": "2.12"}}})
    assert "graphql.federation.version" in str(caught.value)


@strawberry.federation.type(keys=["id"])
class _Keyed:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], authenticated=True)
class _Guarded:
    id: strawberry.ID


@strawberry.type
class _KeyedQuery:
    keyed: _Keyed | None = None


@strawberry.type
class _GuardedQuery:
    guarded: _Guarded | None = None


def test_the_lowest_version_follows_the_directives_in_use() -> None:
    """@key alone needs v2.0; @authenticated (federation 2.5) raises it to 2.5."""
    keyed = strawberry.federation.Schema(query=_KeyedQuery)
    guarded = strawberry.federation.Schema(query=_GuardedQuery)
    assert lowest_federation_version(keyed) == "2.0"
    assert lowest_federation_version(guarded) == "2.5"


async def test_service_sdl_is_served_with_introspection_off(api: Api) -> None:
    """Gateways compose from `_service`, which works where introspection is disabled."""
    overrides = {"graphql": {"introspection": False, "federation": {"enabled": True}}}
    async with api(overrides) as client:
        sdl = await gql(client, SDL)
        schema = await gql(client, "{ __schema { queryType { name } } }")
    assert "issueChatToken" in sdl["data"]["_service"]["sdl"]
    assert error_code(schema) == "GRAPHQL_VALIDATION_FAILED"


async def test_prefix_renames_the_adapters_fields_and_types(api: Api) -> None:
    """With prefix `imba`, root fields and the adapter's types carry it; the entity keeps its."""
    overrides = {"graphql": {"federation": {"enabled": True, "prefix": "imba", "entity": ENTITY}}}
    async with api(overrides) as client:
        sdl = (await gql(client, SDL))["data"]["_service"]["sdl"]
        issued = await gql(
            client, "mutation { imbaIssueChatToken { userId } }", headers=session_cookie(6)
        )
        old_name = await gql(client, ISSUE, headers=session_cookie(6))
    assert "imbaIssueChatToken: ImbaChatToken!" in sdl
    assert "imbaChatUsers(ids:" in sdl
    assert "type ImbaChatUser {" in sdl
    assert "chatProfile: ImbaChatUser" in sdl
    assert " issueChatToken" not in sdl
    assert issued["data"]["imbaIssueChatToken"]["userId"] == "6"
    assert error_code(old_name) == "GRAPHQL_VALIDATION_FAILED"


async def test_federation_off_has_no_subgraph_fields(api: Api) -> None:
    """Without `federation.enabled` the schema has no `_service` or `_entities`."""
    async with api() as client:
        body = await gql(client, SDL)
    assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"


async def test_entities_resolve_the_chat_profile_of_site_users(api: Api) -> None:
    """`_entities` gives each User the profile the chat receives; unknown ids get null."""
    async with api(FEDERATED) as client:
        body = await gql(client, ENTITIES, users("6", "7", "999999"), headers=session_cookie(6))
        chat = await client.get("/imbachat/v1/users?user_ids=6,7", auth=CHAT_AUTH)
    assert "errors" not in body, body
    six, seven, unknown = body["data"]["_entities"]
    names = {str(user["user_id"]): user["name"] for user in chat.json()}
    assert six == {"id": "6", "chatProfile": {"userId": "6", "name": names["6"]}}
    assert seven["chatProfile"]["name"] == names["7"]
    assert unknown == {"id": "999999", "chatProfile": None}


async def test_entities_are_bounded_like_chat_users(api: Api) -> None:
    """More representations than graphql.max_chat_users are BAD_USER_INPUT, nothing fetched."""
    overrides = {"graphql": {"max_chat_users": 3, "federation": FEDERATED["graphql"]["federation"]}}
    async with api(overrides) as client:
        at_limit = await gql(client, ENTITIES, users("1", "2", "3"), headers=session_cookie(6))
        over = await gql(client, ENTITIES, users("1", "2", "3", "4"), headers=session_cookie(6))
    assert "errors" not in at_limit
    assert over["data"] is None
    assert error_code(over) == "BAD_USER_INPUT"
    assert "at most 3 entities" in over["errors"][0]["message"]


async def test_entities_follow_the_chat_users_rule_for_anonymous_callers(api: Api) -> None:
    """Without the site's credentials the profile is UNAUTHENTICATED, as chatUsers is."""
    async with api(FEDERATED) as client:
        body = await gql(client, ENTITIES, users("6"))
    assert body["data"]["_entities"] == [{"id": "6", "chatProfile": None}]
    assert error_code(body) == "UNAUTHENTICATED"


async def test_entities_are_public_when_chat_users_are(api: Api) -> None:
    """With graphql.chat_users_public, an anonymous gateway call gets the profile too."""
    federation = FEDERATED["graphql"]["federation"]
    overrides = {"graphql": {"chat_users_public": True, "federation": federation}}
    async with api(overrides) as client:
        body = await gql(client, ENTITIES, users("6"))
    assert "errors" not in body
    assert body["data"]["_entities"][0]["chatProfile"]["userId"] == "6"


async def test_entities_with_an_invalid_key_are_bad_user_input(api: Api) -> None:
    """A key that is not a valid chat id is BAD_USER_INPUT, not a 500 or a masked error."""
    async with api(FEDERATED) as client:
        body = await gql(client, ENTITIES, users("1a2"), headers=session_cookie(6))
    assert body["data"]["_entities"] == [{"id": "1a2", "chatProfile": None}]
    assert error_code(body) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("representation", "message"),
    [
        ({"__typename": "Nope", "id": "6"}, "'Nope' is not an entity of this subgraph"),
        ({"__typename": "ChatUser", "id": "6"}, "'ChatUser' is not an entity of this subgraph"),
        ({"__typename": "Query"}, "'Query' is not an entity of this subgraph"),
        ({"id": "6"}, "a representation needs its __typename"),
        ({"__typename": ["User"], "id": "6"}, "a representation needs its __typename"),
        ("User:6", "a representation must be an object"),
        ({"__typename": "User"}, "a User representation needs its id"),
        ({"__typename": "User", "id": ["6", "7"]}, "a User representation's id must be ID"),
        ({"__typename": "User", "id": {"id": "6"}}, "a User representation's id must be ID"),
        ({"__typename": "User", "id": 6.5}, "a User representation's id must be ID"),
        ({"__typename": "User", "id": True}, "a User representation's id must be ID"),
    ],
    ids=[
        "unknown",
        "not-an-entity",
        "root",
        "no-typename",
        "typename-list",
        "string",
        "no-key",
        "key-list",
        "key-object",
        "key-float",
        "key-bool",
    ],
)
async def test_a_bad_representation_is_that_entitys_error(
    api: Api, capsys: pytest.CaptureFixture[str], representation: object, message: str
) -> None:
    """A representation that names no entity of this subgraph (or lacks its key) gets null and
    its own BAD_USER_INPUT error at its index; the good ones beside it resolve; nothing is
    logged as an incident."""
    overrides = {"graphql": {"chat_users_public": True, **FEDERATED["graphql"]}}
    variables = {"representations": [{"__typename": "User", "id": "6"}, representation]}
    async with api(overrides) as client:
        body = await gql(client, ENTITIES, variables)
    good, bad = body["data"]["_entities"]
    assert good["chatProfile"]["userId"] == "6"
    assert bad is None
    (error,) = body["errors"]
    assert (error["message"], error["path"]) == (message, ["_entities", 1])
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "graphql_unexpected_error" not in capsys.readouterr().out


async def test_a_null_representation_is_bad_user_input(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    """A null in the representations variable is refused before execution as the caller's
    mistake, with its reason and BAD_USER_INPUT, never "Unexpected error." nor logged."""
    async with api(FEDERATED) as client:
        body = await gql(client, ENTITIES, {"representations": [None]})
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"] == (
        "Variable '$representations' has invalid value at [0]: "
        "Expected value of non-null type '_Any!' not to be None."
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "graphql_unexpected_error" not in capsys.readouterr().out


async def test_a_gateway_without_the_viewers_headers_gets_an_anonymous_viewer(api: Api) -> None:
    """No forwarded cookie or Authorization: chatWidget is anonymous, issueChatToken refused."""
    async with api(FEDERATED) as client:
        widget = await gql(client, "{ chatWidget { options userId } }")
        token = await gql(client, ISSUE)
    assert widget["data"]["chatWidget"] == {"options": {}, "userId": None}
    assert error_code(token) == "UNAUTHENTICATED"


async def test_browser_origins_are_still_checked_on_a_subgraph(api: Api) -> None:
    """A gateway's call (no Origin) passes; a foreign page's direct call is still a 403."""
    async with api(FEDERATED) as client:
        gateway = await client.post("/graphql", json={"query": ISSUE}, headers=session_cookie(6))
        foreign = await client.post(
            "/graphql",
            json={"query": ISSUE},
            headers={"Origin": "https://evil.example", **session_cookie(6)},
        )
    assert gateway.json()["data"]["issueChatToken"]["userId"] == "6"
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN_ORIGIN"


@pytest.mark.parametrize(
    ("federation", "where"),
    [
        ({"prefix": "Imba"}, "graphql.federation.prefix"),
        ({"prefix": "im-ba"}, "graphql.federation.prefix"),
        ({"entity": {"type_name": "User!"}}, "graphql.federation.entity.type_name"),
        ({"entity": {"key_field": "__id"}}, "graphql.federation.entity.key_field"),
        ({"entity": {"key_type": "Float"}}, "graphql.federation.entity.key_type"),
    ],
)
def test_bad_federation_settings_name_their_path(
    make_settings: SettingsFactory, federation: dict[str, Any], where: str
) -> None:
    """A prefix or entity name that is not a GraphQL name is refused with its path."""
    with pytest.raises(ConfigError) as caught:
        make_settings({"graphql": {"federation": {"enabled": True, **federation}}})
    assert where in str(caught.value)


def test_trusted_documents_and_federation_cannot_both_be_on(
    make_settings: SettingsFactory,
) -> None:
    """A gateway's query plans are in no manifest: the pair is refused at start-up, named."""
    with pytest.raises(ConfigError) as caught:
        make_settings(
            {"graphql": {"federation": {"enabled": True}, "trusted_documents": {"enabled": True}}}
        )
    assert "graphql: " in str(caught.value)
    assert "enforce persisted documents at the gateway" in str(caught.value)


async def test_a_key_of_type_int_is_declared_and_resolved(api: Api) -> None:
    """`key_type: Int` declares `id: Int!` and resolves numeric keys."""
    entity = {**ENTITY, "key_type": "Int"}
    overrides = {"graphql": {"federation": {"enabled": True, "entity": entity}}}
    async with api(overrides) as client:
        sdl = (await gql(client, SDL))["data"]["_service"]["sdl"]
        variables = {"representations": [{"__typename": "User", "id": 6}]}
        body = await gql(client, ENTITIES, variables, headers=session_cookie(6))
    assert "id: Int!" in sdl
    assert body["data"]["_entities"][0]["chatProfile"]["userId"] == "6"


@pytest.mark.parametrize("key", [2**31, "abc", 6.5])
async def test_a_key_that_is_no_int_is_that_entitys_error(
    api: Api, capsys: pytest.CaptureFixture[str], key: object
) -> None:
    """With `key_type: Int`, a key GraphQL's Int cannot carry is BAD_USER_INPUT, not an
    unexpected error logged with its traceback."""
    entity = {**ENTITY, "key_type": "Int"}
    overrides = {"graphql": {"federation": {"enabled": True, "entity": entity}}}
    variables = {"representations": [{"__typename": "User", "id": key}]}
    async with api(overrides) as client:
        body = await gql(client, ENTITIES, variables, headers=session_cookie(6))
    assert body["data"]["_entities"] == [None]
    assert error_code(body) == "BAD_USER_INPUT"
    assert "graphql_unexpected_error" not in capsys.readouterr().out
