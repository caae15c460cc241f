"""Helpers for the GraphQL API tests: settings, requests, demo sessions, a recording site."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from adapter.app import create_app
from adapter.config import Settings
from adapter.demo.sessions import SESSION_COOKIE, issue_session
from tests.conftest import LiveServer, SettingsFactory, asgi_client

ApiClient = Callable[..., "AsyncIterator[httpx.AsyncClient]"]

ISSUE = "mutation { issueChatToken { token userId expiresAt } }"
WIDGET = "{ chatWidget { scriptUrl options userId expiresAt } }"
USERS = "query ($ids: [ID!]!) { chatUsers(ids: $ids) { userId name avatarUrl } }"
ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"


def session_cookie(user_id: int) -> dict[str, str]:
    """A Cookie header carrying a valid demo site session for `user_id`."""
    return {"Cookie": f"{SESSION_COOKIE}={issue_session(user_id)}"}


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    path: str = "/graphql",
) -> dict[str, Any]:
    """POST one operation and return the decoded GraphQL answer (asserting HTTP 200)."""
    response = await client.post(
        path, json={"query": query, "variables": dict(variables or {})}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_code(body: Mapping[str, Any]) -> str:
    """The code of the first GraphQL error."""
    code: str = body["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture
def api(make_settings: SettingsFactory) -> Callable[..., Any]:
    """An in-process client for an app built from the reference config plus overrides."""

    def open_client(overrides: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        settings = make_settings(overrides)
        return asgi_client(create_app(settings, **kwargs))

    return open_client


# --- a site that records what reaches it ------------------------------------------------------


@dataclass
class RecordingSite:
    """A stand-in site GraphQL API on a real port; answers the viewer query from the header."""

    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def viewer_requests(self) -> list[dict[str, str]]:
        return [h for h in self.requests if h.get("x-query", "").find("viewer") >= 0]

    async def endpoint(self, request: Request) -> Response:
        body = await request.json()
        headers = dict(request.headers)
        headers["x-query"] = body.get("query", "")
        self.requests.append(headers)
        credential = headers.get("authorization", "") or headers.get("cookie", "")
        # "Bearer <behaviour>": how the site answers this viewer.
        behaviour = credential.rpartition(" ")[2].rpartition("=")[2]
        if behaviour == "status-401":
            return PlainTextResponse("no", status_code=401)
        if behaviour == "status-500":
            return PlainTextResponse("down", status_code=500)
        if behaviour == "errors":
            return JSONResponse({"data": None, "errors": [{"message": "not signed in"}]})
        if behaviour.startswith("user-"):
            return JSONResponse({"data": {"viewer": {"id": behaviour.removeprefix("user-")}}})
        if behaviour.startswith("number-"):
            return JSONResponse({"data": {"viewer": {"id": int(behaviour[7:])}}})
        return JSONResponse({"data": {"viewer": None}})


@pytest.fixture
def recording_site(live_server: Callable[[Any], LiveServer]) -> RecordingSite:
    """A recording site on a loopback port."""
    site = RecordingSite()
    app = Starlette(routes=[Route("/graphql", site.endpoint, methods=["POST"])])
    site.url = f"{live_server(app).url}/graphql"
    return site


def site_settings(make_settings: SettingsFactory, site_url: str, **viewer: Any) -> Settings:
    """Reference settings whose upstream (and so viewer query) is `site_url`."""
    return make_settings(
        {
            "upstream": {
                "embedded_demo": False,
                "url": site_url,
                "retry": {"attempts": 1},
                "headers": {"Authorization": "Bearer service-account", "X-Api-Key": "k-1"},
            },
            "viewer": {"mode": "upstream", "upstream": viewer},
        }
    )
