"""The endpoint's transport rules: POST JSON only for mutations, sizes, limits, CORS, errors.

Every refusal is GraphQL-shaped (`{"errors": [{"message", "extensions": {"code"}}]}`), never
the chat's REST error shape, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from adapter.app import create_app
from tests.graphql.support import ISSUE, error_code, session_cookie
from tests.servers import LiveServer
from tests.support import SettingsFactory, gql

Api = Any


def refusal(response: httpx.Response, status: int, code: str) -> str:
    """Assert a GraphQL-shaped request refusal; return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["extensions"]["code"] == code
    assert "Traceback" not in response.text
    message: str = body["errors"][0]["message"]
    return message


async def test_mutations_never_run_over_get(api: Api) -> None:
    """A mutation sent with GET is refused before it runs, even with a valid session."""
    async with api() as client:
        response = await client.get("/graphql", params={"query": ISSUE}, headers=session_cookie(6))
    assert "mutations are not allowed when using GET" in refusal(response, 400, "BAD_REQUEST")


async def test_queries_over_get_are_off_by_default(api: Api) -> None:
    """Queries carry tokens too: GET is refused unless queries_via_get is on."""
    query = {"query": "{ chatWidget { userId } }"}
    async with api() as client:
        closed = await client.get("/graphql", params=query)
    async with api({"graphql": {"queries_via_get": True}}) as client:
        opened = await client.get("/graphql", params=query)
        mutation = await client.get("/graphql", params={"query": ISSUE})
    refusal(closed, 400, "BAD_REQUEST")
    assert opened.json() == {"data": {"chatWidget": {"userId": None}}}
    refusal(mutation, 400, "BAD_REQUEST")


@pytest.mark.parametrize("site", ["cross-site", "same-site", "CROSS-SITE"])
async def test_another_sites_image_or_script_cannot_run_a_query_over_get(
    api: Api, site: str
) -> None:
    """An <img> or <script> of another site's page sends the visitor's cookies but no Origin
    on a GET; its Sec-Fetch-Site says where it came from: refused before the viewer is asked,
    so such a page cannot spend its visitor's token budget (gettoken's rule)."""
    query = {"query": "{ chatWidget { userId } }"}
    no_cors = {**session_cookie(6), "Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors"}
    async with api({"graphql": {"queries_via_get": True}}) as client:
        refused = await client.get("/graphql", params=query, headers=no_cors)
        own = await client.get(
            "/graphql", params=query, headers={**session_cookie(6), "Sec-Fetch-Site": "same-origin"}
        )
        typed = await client.get(
            "/graphql", params=query, headers={**session_cookie(6), "Sec-Fetch-Site": "none"}
        )
        server = await client.get("/graphql", params=query, headers=session_cookie(6))
    refusal(refused, 403, "FORBIDDEN_ORIGIN")
    answers = [own.json(), typed.json(), server.json()]
    assert answers == [{"data": {"chatWidget": {"userId": "6"}}}] * 3


async def test_graphiql_opens_from_a_link_on_another_site(api: Api) -> None:
    """The refusal is for operations: a link to the GraphiQL page still opens it."""
    navigate = {"Accept": "text/html", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    async with api({"graphql": {"graphiql": True}}) as client:
        response = await client.get("/graphql", headers=navigate)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_get_answers_carrying_tokens_are_never_stored_by_a_cache(api: Api) -> None:
    """A GraphQL answer may carry the viewer's widget token: a GET query's, cacheable by default,
    has `Cache-Control: no-store`, so no shared cache hands one viewer's token to the next, and
    `nosniff`, as gettoken's. (A POST answer is not stored without explicit freshness.)"""
    query = {"query": "{ chatWidget { userId options } }"}
    async with api({"graphql": {"queries_via_get": True}}) as client:
        response = await client.get("/graphql", params=query, headers=session_cookie(6))
    assert response.json()["data"]["chatWidget"]["options"]["token"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_post_needs_a_json_content_type(api: Api, content_type: str | None) -> None:
    """Simple (CORS-free) content types are refused, so a cross-site form cannot post."""
    headers = {"Content-Type": content_type} if content_type else {}
    async with api() as client:
        response = await client.post(
            "/graphql", content=b'{"query": "{ __typename }"}', headers=headers
        )
    refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Unable to parse request body as JSON"),
        (b"\xff\xfe\x00", "Unable to parse request body as JSON"),
        (b"[" * 5000 + b"]" * 5000, "Unable to parse request body as JSON"),
        (b'"just a string"', "must be one JSON object"),
        (b'[{"query": "{ __typename }"}]', "must be one JSON object"),
        (b"{}", "No GraphQL query found"),
        (b'{"query": 42}', "must be a string or null"),
        (b'{"query": "{ __typename }", "variables": []}', "must be an object or null"),
    ],
    ids=["broken", "not-utf8", "deep", "string", "batch", "empty", "number", "variables"],
)
async def test_bad_bodies_get_a_clean_400(api: Api, body: bytes, message: str) -> None:
    """Malformed bodies are a 400 in the GraphQL error shape, with no traceback."""
    async with api() as client:
        response = await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
    assert message in refusal(response, 400, "BAD_REQUEST")


async def test_oversized_documents_are_refused_before_parsing(api: Api) -> None:
    """A document over max_document_bytes is a 400 DOCUMENT_TOO_LARGE."""
    document = "{ " + "__typename " * 800 + "}"
    async with api() as client:
        response = await client.post("/graphql", json={"query": document})
    refusal(response, 400, "DOCUMENT_TOO_LARGE")


async def test_bodies_over_the_global_limit_are_refused(api: Api) -> None:
    """A body over limits.max_body_bytes never reaches GraphQL (the server-wide 413)."""
    async with api() as client:
        response = await client.post("/graphql", json={"query": "#" * 70_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("document", "message", "code"),
    [
        (
            "{ " + " ".join(f"a{i}: __typename" for i in range(11)) + " }",
            "11 aliases found",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ " + "__typename " * 120 + "}", "more than 100 tokens", "GRAPHQL_PARSE_FAILED"),
        (
            "{ chatUsers(ids: []) { profiles { name } } }",
            "exceeds maximum operation depth of 1",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ chatUsers(ids: [1]) { name ", "Syntax Error", "GRAPHQL_PARSE_FAILED"),
        ("{ chatViewer }", "Cannot query field 'chatViewer'", "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["aliases", "tokens", "depth", "syntax", "unknown-field"],
)
async def test_cost_limits_and_bad_documents(
    api: Api, document: str, message: str, code: str
) -> None:
    """Over a cost limit, or not valid, a document stops before it runs, with a code to match."""
    async with api({"graphql": {"max_depth": 1, "max_tokens": 100}}) as client:
        body = await gql(client, document)
    assert body.get("data") is None
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": code}


async def test_introspection_and_graphiql_switch(api: Api) -> None:
    """Introspection and the GraphiQL page are on in the demo config and off when switched off."""
    introspect = "{ __schema { queryType { name } } }"
    html = {"Accept": "text/html"}
    async with api() as client:
        on = await gql(client, introspect)
        page = await client.get("/graphql", headers=html)
    async with api({"graphql": {"introspection": False, "graphiql": False}}) as client:
        off = await gql(client, introspect)
        no_page = await client.get("/graphql", headers=html)
    assert on == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "introspection" in off["errors"][0]["message"].lower()
    refusal(no_page, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "document",
    [
        "{ chatWidgt { scriptUrl } }",
        "{ chatWidget { scriptUr } }",
        "mutation { issueChatTokn { token } }",
        "query Q($ids: [ID!]!) { chatUsers(idz: $ids) { userId } }",
    ],
)
async def test_without_introspection_errors_suggest_no_names(api: Api, document: str) -> None:
    """With introspection off, a typo gets no "Did you mean ...?" naming the schema's fields."""
    async with api() as client:
        on = await gql(client, document)
    async with api({"graphql": {"introspection": False}}) as client:
        off = await gql(client, document)
        again = await gql(client, document)  # the validation cache hands back the same errors
    assert "Did you mean" in on["errors"][0]["message"]
    for body in (off, again):
        message = body["errors"][0]["message"]
        assert "Did you mean" not in message
        assert message.startswith(("Cannot query field", "Unknown argument"))
        assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_graphql_shaped(api: Api, method: str) -> None:
    """Other methods get a GraphQL-shaped 405, not the chat's error shape."""
    async with api() as client:
        response = await client.request(method, "/graphql")
    refusal(response, 405, "METHOD_NOT_ALLOWED")


async def test_no_websocket_route(
    make_settings: SettingsFactory, live_server: Callable[[Any], LiveServer]
) -> None:
    """There is no WebSocket endpoint: sockets escape CORS and nothing here needs one."""
    server = live_server(create_app(make_settings()))
    url = server.url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers=session_cookie(6),
        ):
            pass  # pragma: no cover - the handshake is refused
    assert refused.value.response.status_code == 403


# --- CORS -------------------------------------------------------------------------------------

SPA = "https://app.example.com"
CORS = {"graphql": {"cors": {"allowed_origins": [SPA]}}}


async def test_preflight_from_an_allowed_origin(api: Api) -> None:
    """A listed origin may send credentials, JSON and the forwarded Authorization header."""
    headers = {
        "Origin": SPA,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    async with api(CORS) as client:
        response = await client.options("/graphql", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed


async def test_preflight_from_another_origin_is_refused(api: Api) -> None:
    """An unlisted origin gets no CORS permission (the browser will not send the request), and
    the API's 403 in its JSON shape, as its other requests do."""
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    async with api(CORS) as client:
        response = await client.options("/graphql", headers=headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN_ORIGIN"


async def test_preflight_asking_for_what_is_not_allowed_is_refused_in_json(api: Api) -> None:
    """A listed origin asking for a method or header the API does not allow gets Starlette's
    refusal, in the API's JSON shape rather than plain text."""
    asked = {"Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "x-y"}
    async with api(CORS) as client:
        response = await client.options("/graphql", headers={"Origin": SPA, **asked})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["errors"][0]
    assert error["message"] == "Disallowed CORS method, headers"
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_allowed_origin_reads_the_answer_with_credentials(api: Api) -> None:
    """The answer to a listed origin names that origin (never `*`) and allows credentials."""
    async with api(CORS) as client:
        response = await client.post(
            "/graphql", json={"query": ISSUE}, headers={"Origin": SPA, **session_cookie(6)}
        )
    assert response.json()["data"]["issueChatToken"]["userId"] == "6"
    assert response.headers["access-control-allow-origin"] == SPA
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_answers_vary_by_origin_with_or_without_one(api: Api) -> None:
    """Every answer says it varies by Origin, once: from a listed origin, and from no page."""
    async with api(CORS) as client:
        listed = await client.post(
            "/graphql", json={"query": ISSUE}, headers={"Origin": SPA, **session_cookie(6)}
        )
        plain = await client.post("/graphql", json={"query": ISSUE}, headers=session_cookie(6))
        refused = await client.post("/graphql", content=b"[]", headers={"Content-Type": "x/y"})
    for response in (listed, plain, refused):
        assert response.headers.get_list("vary") == ["Origin"], response.headers
    assert plain.json()["data"]["issueChatToken"]["userId"] == "6"


async def test_foreign_origin_is_refused_outright(api: Api) -> None:
    """A request from an unlisted origin, even with the victim's cookie, is a 403 with no token."""
    async with api(CORS) as client:
        response = await client.post(
            "/graphql",
            json={"query": ISSUE},
            headers={"Origin": "https://evil.example", **session_cookie(6)},
        )
        null_origin = await client.post(
            "/graphql", json={"query": ISSUE}, headers={"Origin": "null", **session_cookie(6)}
        )
    refusal(response, 403, "FORBIDDEN_ORIGIN")
    refusal(null_origin, 403, "FORBIDDEN_ORIGIN")


async def test_same_origin_pages_need_no_entry(api: Api) -> None:
    """A page served by the adapter's own host (the demo page) may call without a CORS entry."""
    async with api() as client:
        response = await client.post(
            "/graphql",
            json={"query": ISSUE},
            headers={"Origin": "http://adapter.test", **session_cookie(6)},
        )
    assert response.json()["data"]["issueChatToken"]["userId"] == "6"


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("adapter.test", "https://adapter.test"),
        ("adapter.test", "http://adapter.test/"),
        ("adapter.test:9101", "http://adapter.test:09101"),
        ("adapter.test:9101", "http://adapter.test"),
        ("adapter.test", "http://adapter.test:8080"),
        ("adapter.test", "http://evil.adapter.test"),
    ],
)
async def test_same_origin_is_scheme_host_and_port_exactly(
    api: Api, host: str, origin: str
) -> None:
    """Another scheme, a trailing slash, a port written otherwise: not this origin (403)."""
    async with api() as client:
        response = await client.post(
            "/graphql",
            json={"query": ISSUE},
            headers={"Host": host, "Origin": origin, **session_cookie(6)},
        )
    refusal(response, 403, "FORBIDDEN_ORIGIN")


async def test_same_origin_with_a_port_and_a_default_port(api: Api) -> None:
    """A Host with a port matches that port; `Host: h:80` matches `http://h`, as browsers send."""
    async with api() as client:
        for host, origin in (("h.test:9101", "http://h.test:9101"), ("h.test:80", "http://h.test")):
            response = await client.post(
                "/graphql",
                json={"query": ISSUE},
                headers={"Host": host, "Origin": origin, **session_cookie(6)},
            )
            assert response.json()["data"]["issueChatToken"]["userId"] == "6", (host, origin)


async def test_cors_covers_the_graphql_path_only(api: Api) -> None:
    """The chat-facing routes get no CORS headers from the GraphQL allow-list."""
    async with api(CORS) as client:
        response = await client.get("/imbachat/v1", headers={"Origin": SPA})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_expected_errors_are_not_logged_as_incidents(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    """UNAUTHENTICATED is an answer, not an incident: nothing is logged as an error."""
    async with api() as client:
        body = await gql(client, ISSUE)
    assert error_code(body) == "UNAUTHENTICATED"
    assert "graphql_unexpected_error" not in capsys.readouterr().out


async def test_the_demo_page_redirect_names_no_host(api: Api) -> None:
    """`GET /demo` with a forged Host redirects to the path `/demo/`, never to that host."""
    async with api() as client:
        response = await client.get("/demo", headers={"Host": "evil.example"})
        with_query = await client.get("/demo?x=1", headers={"Host": "evil.example"})
        page = await client.get("/demo/")
    assert response.status_code == 307
    assert response.headers["location"] == "/demo/"
    assert with_query.headers["location"] == "/demo/?x=1"
    assert page.status_code == 200
