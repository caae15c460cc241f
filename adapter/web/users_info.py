"""The users-info call (docs/protocol.md section 2): a plain ASGI handler behind the edge.

The chat asks for users on every page it shows, and the answer is a join of cached bytes, so
this handler reads the scope itself (the raw query string, the path segment, the Authorization
header) instead of going through FastAPI's router and dependencies. FastAPI does not know these
routes: `openapi_paths` describes them for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from adapter.config import Settings
from adapter.directory import UserId
from adapter.errors import RequestRejected
from adapter.memo import Memo
from adapter.web.auth import ChatServerAuth
from adapter.web.edge import IDS_COUNT, Edge
from adapter.web.ids import parse_ids
from adapter.web.responses import error_response, send_json

__all__ = ["UsersInfo", "openapi_paths", "query_pairs", "route_users_info"]

UsersForm = Literal["query", "path"]

# The users-info routes under the chat prefix: a template, where its ids are, and its summary.
# A path form's template ends in its one parameter.
_ROUTES: tuple[tuple[str, UsersForm, str], ...] = (
    ("/users", "query", "Users info, ids in the query string"),
    ("/getusers/{user_ids}", "path", "Users info, ids in the path (WordPress)"),
    ("/users/{user_ids}", "path", "Users info, ids in the path (OctoberCMS)"),
)
_QUERY_NAMES = ("user_ids", "ids")
# A page asks for the same ids again and again: each distinct text of ids (a query string, a path
# segment) up to this long is parsed once (20 ids cost 27k instructions to read, a look-up 0.5k).
_REMEMBERED_ID_TEXTS = 1024
_REMEMBERED_TEXT_BYTES = 512
_ALLOW = {"Allow": "GET"}


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query's (name, value) pairs as Starlette's QueryParams reads them (latin-1,
    `parse_qsl` keeping blank values), without `parse_qsl`'s unquoting when nothing is quoted."""
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    pairs = []
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


class UsersInfo:
    """GET only; credentials, then ids, then the joined answer."""

    def __init__(self, settings: Settings, form: UsersForm) -> None:
        self.form = form
        self.auth = ChatServerAuth(settings.chat)
        self._ids = settings.chat.ids
        self._token_parameter = self.auth.token_parameter
        self._parsed = Memo[bytes | str, tuple[UserId, ...]](_REMEMBERED_ID_TEXTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            await error_response(405, "Method Not Allowed", headers=_ALLOW)(scope, receive, send)
            return
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        path_params = scope.get("path_params")
        ids = self.ids(
            query_string=scope.get("query_string", b""),
            path_value=path_params["user_ids"] if path_params else None,
            authorization=authorization,
        )
        scope[IDS_COUNT] = len(ids)
        body = await scope["state"]["directory"].lookup_joined(ids)
        await send_json(send, body)

    def ids(
        self, *, query_string: bytes, path_value: str | None, authorization: str | None
    ) -> tuple[UserId, ...]:
        """The requested ids; NotAuthenticated before anything else, RequestRejected for bad ids."""
        token = pairs = None
        if self._token_parameter is not None:
            pairs = query_pairs(query_string)
            for name, value in pairs:
                if name == self._token_parameter:
                    token = value
        self.auth.check_values(authorization, token)
        text = (path_value or "") if self.form == "path" else query_string
        ids = self._parsed.get(text)
        if ids is None:
            ids = tuple(parse_ids(self._raw_ids(text, pairs), self._ids))
            if len(text) <= _REMEMBERED_TEXT_BYTES:
                self._parsed.remember(text, ids)
        return ids

    def _raw_ids(self, text: bytes | str, pairs: list[tuple[str, str]] | None) -> str:
        """The ids' text: the path segment, or the query's id parameters (several joined);
        `pairs`: the query already read, if it was."""
        if isinstance(text, str):
            return text
        # Decoded the way Starlette's QueryParams decodes it (the chat's other routes read it so).
        if pairs is None:
            pairs = query_pairs(text)
        values = [v for wanted in _QUERY_NAMES for name, v in pairs if name == wanted]
        if not values:
            raise RequestRejected("give the user ids as user_ids=1,2,3")
        return values[0] if len(values) == 1 else self._ids.separator.join(values)


def route_users_info(edge: Edge, settings: Settings) -> None:
    """Register the users-info routes under the chat prefix."""
    for template, form, _ in _ROUTES:
        edge.route(settings.chat.prefix + template, UsersInfo(settings, form))


def openapi_paths(prefix: str) -> dict[str, Any]:
    """The users-info routes as OpenAPI path items, with their id parameters."""
    paths: dict[str, Any] = {}
    for template, form, summary in _ROUTES:
        if form == "path":
            where = [{"name": "user_ids", "in": "path", "required": True}]
        else:
            where = [{"name": name, "in": "query", "required": False} for name in _QUERY_NAMES]
        paths[prefix + template] = {
            "get": {
                "summary": summary,
                "operationId": f"users_by_{form}_{template.strip('/').split('/')[0]}",
                "parameters": [{**item, "schema": {"type": "string"}} for item in where],
                "responses": {
                    "200": {
                        "description": "The users' profiles, in the order asked",
                        "content": {"application/json": {"schema": {"type": "array"}}},
                    }
                },
            }
        }
    return paths
