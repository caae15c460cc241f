"""The frontend-facing GraphQL API: widget tokens for the signed-in viewer, and chat profiles.

`install_graphql(app, settings)` mounts it (with its CORS) when `graphql` is configured;
`open_frontend(...)` builds what it holds for the life of the process (the runtime calls it).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Route

from adapter.config import Settings, ViewerSettings
from adapter.viewer import viewer_operation
from adapter.web.graphql.client import mount_client
from adapter.web.graphql.cors import GraphQLCors
from adapter.web.graphql.endpoint import GraphQLEndpoint
from adapter.web.graphql.ide import mount_graphiql_assets
from adapter.web.graphql.ratelimit import check_rate_limits
from adapter.web.graphql.schema import build_schema
from adapter.web.graphql.services import FrontendApi, open_frontend
from adapter.web.graphql.trusted import TrustedDocuments

__all__ = ["FrontendApi", "build_schema", "install_graphql", "open_frontend"]


def _credential_headers(viewer: ViewerSettings) -> list[str]:
    """Headers a page may send across origins: the ones that say who the viewer is."""
    if viewer.mode == "jwt":
        assert viewer.jwt is not None  # the settings require it in this mode
        return [viewer.jwt.header] if viewer.jwt.header is not None else []
    return list(viewer.upstream.forward_headers)


def install_graphql(app: FastAPI, settings: Settings) -> None:
    """Mount the endpoint and its CORS; raise ConfigError for what cannot work."""
    graphql, viewer = settings.graphql, settings.viewer
    if graphql is None:
        return
    assert viewer is not None  # the settings require it with `graphql`
    check_rate_limits(graphql.rate_limit)
    if viewer.mode == "upstream":
        viewer_operation(settings)  # a missing or broken document fails here, at start-up
    trusted = None
    if graphql.trusted_documents.enabled:
        assert graphql.trusted_documents.manifest is not None  # the settings guarantee it
        trusted = TrustedDocuments.load(settings.resolve(graphql.trusted_documents.manifest))
    endpoint = GraphQLEndpoint(build_schema(settings), graphql, trusted=trusted)
    app.router.routes.insert(0, Route(graphql.path, endpoint, include_in_schema=False))
    mount_client(app, graphql.path)
    if graphql.graphiql:
        mount_graphiql_assets(app, graphql.path)
    app.add_middleware(
        GraphQLCors,
        path=graphql.path,
        settings=graphql.cors,
        allow_headers=_credential_headers(viewer),
    )
