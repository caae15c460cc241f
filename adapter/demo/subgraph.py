"""The demo site as a federation-2 subgraph (served at /subgraph/graphql): its user entity.

A site with a federated graph owns `type User @key(fields: "id")`; the adapter's subgraph
extends it with `chatProfile`. This is the smallest such site, over the same demo users, for
the gateway test and for trying a gateway by hand; the demo's main API stays as it is.
"""

from __future__ import annotations

import functools

import strawberry

from adapter.demo.data import DemoUser
from adapter.demo.schema import DemoInfo, parse_user_id, resolve_viewer, user_by_id

__all__ = ["build_subgraph_schema"]


@strawberry.federation.type(keys=["id"], name="User")
class SiteUser:
    """A member of the demo site, as its subgraph shows them."""

    id: strawberry.ID
    username: str
    display_name: str | None

    @classmethod
    def resolve_reference(cls, info: DemoInfo, id: strawberry.ID) -> SiteUser | None:
        found = user_by_id(info, parse_user_id(id))
        return None if found is None else cls.of(found)

    @classmethod
    def of(cls, user: DemoUser) -> SiteUser:
        name = user.display_name
        return cls(id=strawberry.ID(str(user.id)), username=user.username, display_name=name)


@strawberry.type
class Query:
    @strawberry.field
    def user(self, info: DemoInfo, id: strawberry.ID) -> SiteUser | None:
        return SiteUser.resolve_reference(info, id)

    @strawberry.field
    def me(self, info: DemoInfo) -> SiteUser | None:
        viewer = resolve_viewer(info)
        return None if viewer is None else SiteUser.of(viewer)


@functools.cache
def build_subgraph_schema() -> strawberry.Schema:
    """The site's subgraph schema. Its @link names federation v2.0, all that @key needs (as the
    adapter's does by default): gateways whose composition stops short of the newest (Mesh
    Compose 1: v2.9) compose it too."""
    return strawberry.federation.Schema(query=Query, federation_version="2.0")
