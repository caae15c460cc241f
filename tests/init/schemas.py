"""Small GraphQL sites, shaped unlike the demo, for `init` to find its way through.

- `relay_site`: Relay style. `node(id: ID!): Node` is the only way to fetch a user by id; users are
  listed through connections (`edges { node }` and `nodes`); `me` is the signed-in user; the
  avatar is a nested object `{ url }`; the last activity is epoch milliseconds in a Float field
  whose name does not say so; every request needs `Authorization: Bearer relay-token`.
- `member_site`: the only user field takes one Int id, `member(id: Int!)`, and the fields have
  other names: `nickname`, `login`, `photo`, `lastSeen` (a DateTime), `isAdmin`, `email`.
- `product_site`: no user-like type at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import strawberry
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

RELAY_TOKEN = "relay-token"

# --- relay_site --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayPerson:
    id: int
    name: str | None
    handle: str
    avatar: str | None
    last_active_ms: int


RELAY_PEOPLE = {
    101: RelayPerson(101, "Ada Lovelace", "ada", "https://img.example.org/101.png", 1717243200000),
    102: RelayPerson(102, None, "grace", "https://img.example.org/102.png", 1717329600500),
    103: RelayPerson(103, "Alan Turing", "alan", None, 1717416000999),
    104: RelayPerson(104, "Edsger Dijkstra", "edsger", None, 1717502400000),
}


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Image:
    url: str
    width: int


@strawberry.type(name="User")
class RelayUser(Node):
    name: str | None
    handle: str
    avatar: Image | None
    last_active_at: float = strawberry.field(description="When the user was last active.")
    url: str

    @classmethod
    def of(cls, person: RelayPerson) -> RelayUser:
        return cls(
            id=strawberry.ID(str(person.id)),
            name=person.name,
            handle=person.handle,
            avatar=Image(url=person.avatar, width=128) if person.avatar else None,
            last_active_at=float(person.last_active_ms),
            url=f"https://relay.example.org/@{person.handle}",
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class UserEdge:
    cursor: str
    node: RelayUser


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    nodes: list[RelayUser]
    page_info: PageInfo
    total_count: int


def _connection(people: list[RelayPerson], first: int) -> UserConnection:
    chosen = people[:first]
    return UserConnection(
        edges=[UserEdge(cursor=str(p.id), node=RelayUser.of(p)) for p in chosen],
        nodes=[RelayUser.of(p) for p in chosen],
        page_info=PageInfo(
            has_next_page=len(people) > first, end_cursor=str(chosen[-1].id) if chosen else None
        ),
        total_count=len(people),
    )


@strawberry.type
class RelayQuery:
    @strawberry.field
    def node(self, id: strawberry.ID) -> Node | None:
        person = RELAY_PEOPLE.get(int(id)) if id.isdigit() else None
        return RelayUser.of(person) if person else None

    @strawberry.field
    def users(self, first: int = 10, after: str | None = None) -> UserConnection:
        people = [p for i, p in sorted(RELAY_PEOPLE.items()) if after is None or i > int(after)]
        return _connection(people, first)

    @strawberry.field
    def search(self, text: str, first: int = 10) -> UserConnection:
        needle = text.lower()
        people = [
            p for p in RELAY_PEOPLE.values() if needle in f"{p.name or ''} {p.handle}".lower()
        ]
        return _connection(people, first)

    @strawberry.field
    def me(self) -> RelayUser | None:
        return RelayUser.of(RELAY_PEOPLE[101])


# --- member_site -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    nickname: str | None
    login: str
    photo: str | None
    last_seen: datetime | None
    email: str
    is_admin: bool


_CDN = "https://cdn.example.net/p"


MEMBERS = {
    1: Person(
        1, "Captain", "cap", f"{_CDN}/1.jpg", datetime(2024, 5, 1, 10, tzinfo=UTC), "c@x.net", True
    ),
    2: Person(2, None, "quiet", None, None, "q@x.net", False),
    3: Person(3, "Navigator", "nav", None, datetime(2024, 4, 2, 8, tzinfo=UTC), "n@x.net", False),
    7: Person(
        7, "Lookout", "look", f"{_CDN}/7.jpg", datetime(2023, 12, 31, tzinfo=UTC), "l@x.net", False
    ),
}


@strawberry.type
class Member:
    id: int
    nickname: str | None
    login: str
    photo: str | None
    last_seen: datetime | None
    email: str
    is_admin: bool


@strawberry.type
class MemberQuery:
    @strawberry.field
    def member(self, id: int) -> Member | None:
        person = MEMBERS.get(id)
        if person is None:
            return None
        return Member(
            id=person.id,
            nickname=person.nickname,
            login=person.login,
            photo=person.photo,
            last_seen=person.last_seen,
            email=person.email,
            is_admin=person.is_admin,
        )


# --- product_site ------------------------------------------------------------------------------


@strawberry.type
class Product:
    id: strawberry.ID
    name: str
    image: str | None
    price: float


@strawberry.type
class ProductQuery:
    @strawberry.field
    def product(self, id: strawberry.ID) -> Product | None:
        return Product(id=id, name="Teapot", image=None, price=9.5)


# --- serving -----------------------------------------------------------------------------------


class CountingSite:
    """A GraphQL site as an ASGI app: counts /graphql requests, optionally wants a bearer token."""

    def __init__(self, schema: strawberry.Schema, *, token: str | None = None) -> None:
        self.schema = schema
        self.graphql: ASGIApp = GraphQL(schema)
        self.token = token
        self.requests = 0
        self.app = Starlette(routes=[Route("/graphql", self, methods=["GET", "POST"])])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
            sent = dict(scope["headers"]).get(b"authorization", b"")
            if self.token is not None and sent != f"Bearer {self.token}".encode():
                response = JSONResponse({"errors": [{"message": "sign in first"}]}, 401)
                await response(scope, receive, send)
                return
        await self.graphql(scope, receive, send)


def relay_site() -> CountingSite:
    return CountingSite(strawberry.Schema(query=RelayQuery, types=[RelayUser]), token=RELAY_TOKEN)


def member_site() -> CountingSite:
    return CountingSite(strawberry.Schema(query=MemberQuery))


def product_site() -> CountingSite:
    return CountingSite(strawberry.Schema(query=ProductQuery))
