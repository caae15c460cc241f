"""The frontend-facing GraphQL API: widget tokens for the signed-in viewer, and chat profiles.

`install_graphql(app, settings)` mounts it (with its CORS) when `graphql` is configured;
`open_frontend(...)` builds what it holds for the life of the process (the runtime calls it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp

from adapter.config import Settings, ViewerSettings
from adapter.metrics import Metrics
from adapter.web.graphql.client import mount_client
from adapter.web.graphql.cors import GraphQLCors
from adapter.web.graphql.fast_token import TokenFastPath
from adapter.web.graphql.ide import mount_graphiql_assets
from adapter.web.graphql.router import ChatGraphQLRouter
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
    app: FastAPI, settings: Settings, metrics: Metrics
) -> Callable[[ASGIApp], ASGIApp] | None:
    """Mount the endpoint and its CORS (`prepare_runtime` has checked the files they read).

    Returns what puts the token fast path (`fast_token.py`) in front of a stack.
    """
    graphql, viewer = settings.graphql, settings.viewer
    if graphql is None:
        return None
    assert viewer is not None  # the settings require it with `graphql`
    trusted = None
    if graphql.trusted_documents.enabled:
        assert graphql.trusted_documents.manifest is not None  # the settings guarantee it
        trusted = TrustedDocuments.load(settings.resolve(graphql.trusted_documents.manifest))
    router = ChatGraphQLRouter(build_schema(settings), graphql, trusted=trusted)
    app.include_router(router)
    mount_client(app, graphql.path)
    if graphql.graphiql:
        mount_graphiql_assets(app, graphql.path)
    cors = functools.partial(
        GraphQLCors,
        path=graphql.path,
        settings=graphql.cors,
        allow_headers=_credential_headers(viewer),
    )
    app.add_middleware(cors.func, **cors.keywords)
    return lambda stack: TokenFastPath(
        stack, settings=settings, metrics=metrics, router=router, trusted=trusted, cors=cors
    )
