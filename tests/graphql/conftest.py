"""Fixtures for the GraphQL API tests: an in-process API client, a recording site."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from adapter.app import create_app
from tests.graphql.support import RecordingSite
from tests.servers import LiveServer
from tests.support import SettingsFactory, asgi_client


@pytest.fixture
def api(make_settings: SettingsFactory) -> Callable[..., Any]:
    """An in-process client for an app built from the reference config plus overrides."""

    def open_client(overrides: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        settings = make_settings(overrides)
        return asgi_client(create_app(settings, **kwargs))

    return open_client


@pytest.fixture
def recording_site(live_server: Callable[[Any], LiveServer]) -> RecordingSite:
    """A recording site on a loopback port."""
    site = RecordingSite()
    app = Starlette(routes=[Route("/graphql", site.endpoint, methods=["POST"])])
    site.url = f"{live_server(app).url}/graphql"
    return site
