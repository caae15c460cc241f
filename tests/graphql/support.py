"""Helpers for the GraphQL API tests: documents, demo sessions, a recording site, settings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from adapter.config import Settings
from adapter.demo.sessions import SESSION_COOKIE, issue_session
from tests.servers import LiveServer
from tests.support import ROOT, SettingsFactory, remote

ApiClient = Callable[..., "AsyncIterator[httpx.AsyncClient]"]

ISSUE = "mutation { issueChatToken { token userId expiresAt } }"
WIDGET = "{ chatWidget { scriptUrl options userId expiresAt } }"
USERS = "query ($ids: [ID!]!) { chatUsers(ids: $ids) { userId name avatarUrl } }"
ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"
TRUSTED_MANIFEST = ROOT / "examples" / "spa" / "trusted-documents.json"
LOGIN = """mutation ($username: String!, $password: String!) {
  login(username: $username, password: $password) { user { id } }
}"""


def session_cookie(user_id: int) -> dict[str, str]:
    """A Cookie header carrying a valid demo site session for `user_id`."""
    return {"Cookie": f"{SESSION_COOKIE}={issue_session(user_id)}"}


def sign_in(adapter: LiveServer, username: str) -> str:
    """Sign in at the demo site (served beside the adapter) and return its session cookie."""
    response = httpx.post(
        f"{adapter.url}/demo-upstream/graphql",
        json={"query": LOGIN, "variables": {"username": username, "password": "demo"}},
    )
    response.raise_for_status()
    return f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"


def error_code(body: Mapping[str, Any]) -> str:
    """The code of the first GraphQL error."""
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def manifest() -> dict[str, str]:
    """The shipped trusted-documents manifest: SHA-256 to document."""
    data: dict[str, str] = json.loads(TRUSTED_MANIFEST.read_text())
    return data


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


def site_settings(make_settings: SettingsFactory, site_url: str, **viewer: Any) -> Settings:
    """Reference settings whose upstream (and so viewer query) is `site_url`."""
    headers = {"Authorization": "Bearer service-account", "X-Api-Key": "k-1"}
    return make_settings(
        {
            **remote(site_url, retry={"attempts": 1}, headers=headers),
            "viewer": {"mode": "upstream", "upstream": viewer},
        }
    )
