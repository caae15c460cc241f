"""Small GraphQL sites of the schema families generated APIs use, for `init` to find its way.

- `hasura_site`: Hasura style. `users(where: {id: {_in: $ids}}, limit:)` returns a plain list;
  snake_case names; `users_by_pk(id:)` fetches one; the avatar is a file name, not a URL.
- `global_site`: Relay style with global ids only. `node(id:)` takes `base64("User:<n>")` and
  refuses anything else with a GraphQL error, as graphql-relay servers do; users are listed
  through an `edges { node }` connection; `viewer` is the signed-in user.
- `nodeid_site`: PostGraphile's shape without its filter plugin or `memberById`: a `Member` has
  a plain `id` and a `nodeId`, base64('["members",<n>]'), and `member(nodeId:)` is the only
  fetch by id; `allMembers(first:)` lists them.
- `edges_site`: a JSON-backed server: `allUsers(filter: {ids: $ids}, first:)` returns a
  connection that has only `edges { node }`, and `User(id:)` fetches one.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import Enum

import strawberry
from strawberry.schema.config import StrawberryConfig

from tests.init.schemas import CountingSite

VIEWER_TOKEN = "viewer-token-5"


@dataclass(frozen=True)
class Someone:
    id: int
    username: str
    display_name: str | None
    avatar_file: str | None
    admin: bool


PEOPLE = {
    5: Someone(5, "ada", "Ada Lovelace", "ada.png", True),
    6: Someone(6, "grace", None, None, False),
    8: Someone(8, "alan", "Alan Turing", "alan.jpg", False),
    9: Someone(9, "edsger", "Edsger Dijkstra", None, False),
}


def relay_id(user_id: int) -> str:
    return base64.b64encode(f"User:{user_id}".encode()).decode()


# --- hasura_site -------------------------------------------------------------------------------


@strawberry.input(name="Int_comparison_exp")
class IntComparison:
    eq: int | None = strawberry.field(name="_eq", default=None)
    in_: list[int] | None = strawberry.field(name="_in", default=None)


@strawberry.input(name="String_comparison_exp")
class StringComparison:
    eq: str | None = strawberry.field(name="_eq", default=None)
    ilike: str | None = strawberry.field(name="_ilike", default=None)


@strawberry.input(name="users_bool_exp")
class UsersBoolExp:
    id: IntComparison | None = None
    username: StringComparison | None = None
    and_: list[UsersBoolExp] | None = strawberry.field(name="_and", default=None)
    not_: UsersBoolExp | None = strawberry.field(name="_not", default=None)


@strawberry.enum(name="user_role_enum")
class Role(Enum):
    admin = "admin"
    moderator = "moderator"
    member = "member"


@strawberry.type(name="users")
class HasuraUser:
    id: int
    username: str
    display_name: str | None
    avatar_file: str | None
    role: Role

    @classmethod
    def of(cls, person: Someone) -> HasuraUser:
        role = Role.admin if person.admin else Role.member
        return cls(
            id=person.id,
            username=person.username,
            display_name=person.display_name,
            avatar_file=person.avatar_file,
            role=role,
        )


def _matches(person: Someone, where: UsersBoolExp | None) -> bool:
    if where is None:
        return True
    if where.id is not None:
        if where.id.in_ is not None and person.id not in where.id.in_:
            return False
        if where.id.eq is not None and person.id != where.id.eq:
            return False
    return True


@strawberry.type
class HasuraQuery:
    @strawberry.field
    def users(
        self, where: UsersBoolExp | None = None, limit: int | None = None
    ) -> list[HasuraUser]:
        found = [HasuraUser.of(p) for _, p in sorted(PEOPLE.items()) if _matches(p, where)]
        return found[:limit] if limit is not None else found

    @strawberry.field
    def users_by_pk(self, id: int) -> HasuraUser | None:
        person = PEOPLE.get(id)
        return HasuraUser.of(person) if person else None


def hasura_site() -> CountingSite:
    config = StrawberryConfig(auto_camel_case=False)
    return CountingSite(strawberry.Schema(query=HasuraQuery, config=config))


# --- global_site -------------------------------------------------------------------------------


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type(name="User")
class GlobalUser(Node):
    username: str
    name: str | None
    avatar_url: str | None

    @classmethod
    def of(cls, person: Someone) -> GlobalUser:
        avatar = f"https://img.example.org/{person.avatar_file}" if person.avatar_file else None
        return cls(
            id=strawberry.ID(relay_id(person.id)),
            username=person.username,
            name=person.display_name,
            avatar_url=avatar,
        )


@strawberry.type
class GlobalEdge:
    cursor: str
    node: GlobalUser


@strawberry.type
class GlobalConnection:
    edges: list[GlobalEdge]


def _local(global_id: str) -> int:
    try:
        kind, _, local = base64.b64decode(global_id, validate=True).decode().partition(":")
    except ValueError:
        raise ValueError(f"not a valid global id: {global_id!r}") from None
    if kind != "User" or not local.isdigit():
        raise ValueError(f"not a valid global id: {global_id!r}")
    return int(local)


@strawberry.type
class GlobalQuery:
    @strawberry.field
    def node(self, id: strawberry.ID) -> Node | None:
        person = PEOPLE.get(_local(id))
        return GlobalUser.of(person) if person else None

    @strawberry.field
    def users(self, first: int = 10) -> GlobalConnection:
        chosen = [p for _, p in sorted(PEOPLE.items())][:first]
        edges = [GlobalEdge(cursor=str(p.id), node=GlobalUser.of(p)) for p in chosen]
        return GlobalConnection(edges=edges)

    @strawberry.field
    def viewer(self, info: strawberry.Info) -> GlobalUser | None:
        sent = info.context["request"].headers.get("authorization")
        return GlobalUser.of(PEOPLE[5]) if sent == f"Bearer {VIEWER_TOKEN}" else None


def global_site() -> CountingSite:
    return CountingSite(strawberry.Schema(query=GlobalQuery, types=[GlobalUser]))


# --- nodeid_site ------------------------------------------------------------------------------


def postgraphile_id(user_id: int) -> str:
    return base64.b64encode(f'["members",{user_id}]'.encode()).decode()


@strawberry.type
class Member:
    id: int
    node_id: strawberry.ID
    username: str
    display_name: str | None

    @classmethod
    def of(cls, person: Someone) -> Member:
        return cls(
            id=person.id,
            node_id=strawberry.ID(postgraphile_id(person.id)),
            username=person.username,
            display_name=person.display_name,
        )


@strawberry.type
class MembersConnection:
    nodes: list[Member]


@strawberry.type
class NodeIdQuery:
    @strawberry.field
    def member(self, node_id: strawberry.ID) -> Member | None:
        found = [p for p in PEOPLE.values() if postgraphile_id(p.id) == node_id]
        if not found and not node_id.startswith("WyJ"):
            raise ValueError(f"invalid nodeId {node_id!r}")
        return Member.of(found[0]) if found else None

    @strawberry.field
    def all_members(self, first: int = 10) -> MembersConnection:
        return MembersConnection(nodes=[Member.of(p) for _, p in sorted(PEOPLE.items())][:first])


def nodeid_site() -> CountingSite:
    return CountingSite(strawberry.Schema(query=NodeIdQuery))


# --- edges_site --------------------------------------------------------------------------------


@strawberry.input
class UserFilter:
    ids: list[strawberry.ID] | None = None
    q: str | None = None


@strawberry.type(name="User")
class JsonUser:
    id: strawberry.ID
    login: str
    full_name: str | None

    @classmethod
    def of(cls, person: Someone) -> JsonUser:
        return cls(
            id=strawberry.ID(str(person.id)), login=person.username, full_name=person.display_name
        )


@strawberry.type
class JsonEdge:
    node: JsonUser


@strawberry.type
class JsonConnection:
    edges: list[JsonEdge]


def _json_user(id: strawberry.ID) -> JsonUser | None:
    person = PEOPLE.get(int(id)) if id.isdigit() else None
    return JsonUser.of(person) if person else None


@strawberry.type
class JsonQuery:
    @strawberry.field
    def all_users(self, filter: UserFilter | None = None, first: int = 2) -> JsonConnection:
        wanted = {int(i) for i in filter.ids} if filter and filter.ids is not None else None
        people = [p for _, p in sorted(PEOPLE.items()) if wanted is None or p.id in wanted]
        # Pages of `first`, two by default: a document that does not ask for more is cut short.
        return JsonConnection(edges=[JsonEdge(node=JsonUser.of(p)) for p in people[:first]])

    user: JsonUser | None = strawberry.field(name="User", resolver=_json_user)


def edges_site() -> CountingSite:
    return CountingSite(strawberry.Schema(query=JsonQuery))
