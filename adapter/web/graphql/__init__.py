"""The frontend-facing GraphQL API: widget tokens for the signed-in viewer, and chat profiles.

`install_graphql(app, edge, settings, trusted)` routes it, behind its CORS, at the edge (`graphql`
set);
`open_frontend(...)` builds what it holds for the life of the process (the runtime calls it).
"""

from __future__ import annotations

from fastapi import FastAPI

from adapter.config import Settings, ViewerSettings
from adapter.web.edge import Edge
from adapter.web.graphql.cors import GraphQLCors
from adapter.web.graphql.endpoint import GraphQLEndpoint
from adapter.web.graphql.ide import mount_static
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


def install_graphql(
    app: FastAPI, edge: Edge, settings: Settings, trusted: TrustedDocuments | None
) -> None:
    """Route the endpoint, behind its CORS, at the edge, and mount its static files; `trusted`:
    the manifest start-up loaded (`runtime.check_named_files`), None when they are off."""
    graphql, viewer = settings.graphql, settings.viewer
    if graphql is None:
        return
    assert viewer is not None  # the settings require it with `graphql`
    endpoint = GraphQLEndpoint(build_schema(settings), graphql, trusted=trusted)
    edge.route(
        graphql.path,
        GraphQLCors(endpoint, settings=graphql.cors, allow_headers=_credential_headers(viewer)),
    )
    mount_static(app, graphql.path, graphiql=graphql.graphiql)
