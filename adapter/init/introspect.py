"""The site's schema, introspected or read from a file, and the small queries `init` sends.

A schema file is for sites that answer no introspection (Apollo Server in production): SDL
(`schema.graphql`, as printed by the site's tooling) or introspection JSON (the answer to the
introspection query, with or without its `data` wrapper). Every failure leaves this module as an
`InitError` whose message names the endpoint or file (without any credentials or query string)
and says what to try; header values never appear in a message.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
import orjson
from graphql import (
    GraphQLError,
    GraphQLSchema,
    build_ast_schema,
    get_introspection_query,
    parse,
)

from adapter.bounded import ACCEPT_ENCODING, TooLarge, UnsupportedEncoding, read_bounded_sync
from adapter.errors import InitError
from adapter.introspection import client_schema
from adapter.upstream import error_messages
from adapter.urls import display_url

__all__ = ["Endpoint", "read_schema_file"]

# An introspection answer or a schema file.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_UNAUTHORIZED = frozenset({401, 403})


class Endpoint:
    """A synchronous GraphQL client for the few requests `init` makes."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).netloc:
            raise InitError(f"{url!r} is not an http(s) URL of a GraphQL endpoint")
        self.url = url
        self.where = display_url(url)
        self.timeout = timeout
        self._client = httpx.Client(
            headers={**headers, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    def schema(self) -> GraphQLSchema:
        data = self.execute(get_introspection_query(descriptions=True), purpose="introspection")
        problem = f"{self.where} answered the introspection query, but not with a usable schema"
        return _client_schema(data, problem)

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        purpose: str = "query",
    ) -> dict[str, Any]:
        """Run a query and return its `data`; errors beside usable data are ignored."""
        status, body = self._post(orjson.dumps({"query": query, "variables": variables or {}}))
        payload = self._json(status, body)
        data = payload.get("data")
        messages = error_messages(payload.get("errors"), count=1, limit=300)
        if status in _UNAUTHORIZED:
            raise InitError(
                f"{self.where} answered HTTP {status}: it wants credentials; pass them with "
                "--header 'Authorization: Bearer …' (or whatever header the site expects)"
            )
        hint = ""
        if purpose == "introspection":
            hint = (
                " (is introspection turned off on this server? Give init its schema "
                "instead: --schema FILE, its SDL or introspection JSON)"
            )
        if status != 200 and not isinstance(data, dict):
            detail = f": {messages[0]}" if messages else ""
            # Apollo Server refuses introspection with a 400; a 5xx is the site failing.
            shown_hint = hint if status == 400 else ""
            raise InitError(
                f"{self.where} answered HTTP {status} to the {purpose}{detail}{shown_hint}"
            )
        if not isinstance(data, dict):
            message = messages[0] if messages else "no data in the answer"
            raise InitError(f"{self.where} refused the {purpose}: {message}{hint}")
        return data

    def _post(self, body: bytes) -> tuple[int, bytes]:
        try:
            with self._client.stream(
                "POST", self.url, content=body, headers={"Content-Type": "application/json"}
            ) as response:
                if response.is_stream_consumed:
                    # Read whole (and decoded) by the transport itself: httpx's MockTransport.
                    body = read_bounded_sync([response.content], MAX_RESPONSE_BYTES)
                else:
                    body = read_bounded_sync(
                        response.iter_raw(),
                        MAX_RESPONSE_BYTES,
                        declared=response.headers.get("content-length"),
                        encoding=response.headers.get("content-encoding"),
                    )
                return response.status_code, body
        except TooLarge:
            raise InitError(
                f"{self.where} sent more than {MAX_RESPONSE_BYTES // 2**20} MiB; "
                "refusing to read it"
            ) from None
        except (UnsupportedEncoding, zlib.error) as exc:
            raise InitError(f"{self.where} sent an answer init cannot decode ({exc})") from None
        except httpx.TimeoutException:
            raise InitError(
                f"{self.where} did not answer within {self.timeout:g} s; is the URL right?"
            ) from None
        except httpx.ConnectError as exc:
            raise InitError(
                f"cannot connect to {self.where} ({_reason(exc)}); "
                "is the site up and the URL right?"
            ) from None
        except httpx.HTTPError as exc:
            raise InitError(f"the request to {self.where} failed ({_reason(exc)})") from None

    def _json(self, status: int, body: bytes) -> dict[str, Any]:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict):
            if status in _UNAUTHORIZED:
                return {}
            if status in {301, 302, 303, 307, 308}:
                raise InitError(
                    f"{self.where} answered with a redirect (HTTP {status}); "
                    "give the final URL of the GraphQL endpoint"
                )
            raise InitError(
                f"{self.where} did not answer with GraphQL JSON (HTTP {status}); "
                "is this the GraphQL endpoint?"
            )
        return payload


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def read_schema_file(path: Path) -> GraphQLSchema:
    """The schema in `path`; InitError saying what is wrong with the file otherwise."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_RESPONSE_BYTES + 1)
    except OSError as exc:
        raise InitError(
            f"cannot read the schema file {path.absolute()}: {exc.strerror or exc}"
        ) from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise InitError(f"{path} is larger than {MAX_RESPONSE_BYTES // 2**20} MiB")
    if raw.lstrip()[:1] in (b"{", b"["):
        return _from_json(path, raw)
    return _from_sdl(path, raw)


def _from_json(path: Path, raw: bytes) -> GraphQLSchema:
    try:
        payload: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InitError(f"{path} starts like JSON but is not JSON ({exc})") from None
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        payload = payload["data"]
    if not isinstance(payload, dict) or not isinstance(payload.get("__schema"), dict):
        raise InitError(
            f"{path} is JSON without `__schema`: give the answer to the introspection query "
            "(or the schema's SDL)"
        )
    return _client_schema(payload, f"{path} holds introspection JSON that is not a usable schema")


def _client_schema(data: Any, problem: str) -> GraphQLSchema:
    """The schema an introspection answer describes; InitError saying `problem` otherwise."""
    try:
        return client_schema(data)
    except ValueError as exc:
        raise InitError(f"{problem} ({exc})") from None


def _from_sdl(path: Path, raw: bytes) -> GraphQLSchema:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InitError(f"{path} is neither UTF-8 SDL nor introspection JSON") from None
    try:
        # Lenient on directives it does not define (federation's @key, @link, a server's own):
        # init reads types and fields, never directives.
        return build_ast_schema(parse(text), assume_valid_sdl=True)
    except GraphQLError as exc:
        raise InitError(f"{path} is not GraphQL SDL: {exc.message} {_where(exc)}") from None
    except (TypeError, ValueError) as exc:
        raise InitError(f"{path} does not describe a usable schema ({exc})") from None


def _where(exc: GraphQLError) -> str:
    if exc.locations:
        location = exc.locations[0]
        return f"(line {location.line}, column {location.column})"
    return ""
