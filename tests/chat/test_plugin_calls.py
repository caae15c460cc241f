"""docs/protocol.md section 3, the plugins' calls: a real adapter against the demo site's process.

Friends, notifications, the plugins' route names (`users/{ids}`, `authuser`, `searchusers`,
`gettoken`) and the calls refused on purpose (`sync`, `getauthdata`). The adapter runs under
uvicorn on a loopback port; the demo site is its own process, asked over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapter.web.chat import chat_router
from tests.chat.support import PREFIX, assert_error, demo_site_data, ids_of
from tests.servers import DemoUpstream
from tests.support import CHAT_AUTH, ROOT, reference_data, settings_from, verify_widget_token

Serve = Callable[[dict[str, Any]], httpx.Client]
# The demo site's friends: ids one, two or ten apart, and never user 4.
FRIENDS_OF_6 = [5, 7, 8, 16]


@pytest.fixture(scope="module")
def chat(served: Serve, demo_upstream_process: DemoUpstream) -> httpx.Client:
    """The reference configuration, pointed at the demo site's process."""
    return served(demo_site_data(demo_upstream_process))


@pytest.fixture
def outbox(demo_upstream_process: DemoUpstream) -> Callable[[], list[dict[str, Any]]]:
    """The demo site's notifications, emptied before the test; call it to read them."""
    base = demo_upstream_process.base_url
    httpx.post(f"{base}/notifications/clear").raise_for_status()

    def read() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{base}/notifications").json()["notifications"]
        return found

    return read


def without(data: dict[str, Any], *operations: str) -> dict[str, Any]:
    """Configuration data with these upstream operations removed."""
    for name in operations:
        del data["upstream"]["operations"][name]
    return data


def sign_in(demo: DemoUpstream, user: str) -> dict[str, str]:
    """A `Cookie` header with the demo site's session for `user`, from its own login mutation."""
    mutation = 'mutation L($u: String!) { login(username: $u, password: "demo") { token } }'
    answer = httpx.post(demo.graphql_url, json={"query": mutation, "variables": {"u": user}}).json()
    return {"Cookie": f"demo_session={answer['data']['login']['token']}"}


def token_for(response: httpx.Response) -> dict[str, Any]:
    """The claims of the widget token in a gettoken answer, checked with the secret key."""
    assert response.status_code == 200, response.text
    settings = settings_from(reference_data())
    assert settings.tokens is not None
    return verify_widget_token(settings.tokens, response.json()["token"])


# --- friends ----------------------------------------------------------------------------------


def test_friends_answer_the_users_info_shape(chat: httpx.Client) -> None:
    """`user/friends/{id}` answers the friends as users-info would, in the site's order."""
    friends = chat.get("/user/friends/6", auth=CHAT_AUTH)
    assert friends.headers["content-type"] == "application/json"
    assert ids_of(friends) == FRIENDS_OF_6
    users = chat.get("/users?user_ids=" + ",".join(map(str, FRIENDS_OF_6)), auth=CHAT_AUTH)
    assert friends.json() == users.json()


def test_friends_warm_users_info(served: Serve, demo_upstream: DemoUpstream) -> None:
    """A friends call caches each friend: users-info for them then costs the site nothing."""
    client = served(demo_site_data(demo_upstream))
    assert ids_of(client.get("/user/friends/6", auth=CHAT_AUTH)) == FRIENDS_OF_6
    assert demo_upstream.requests() == 1
    listed = ",".join(map(str, FRIENDS_OF_6))
    assert ids_of(client.get(f"/users?user_ids={listed}", auth=CHAT_AUTH)) == FRIENDS_OF_6
    assert demo_upstream.requests() == 1


def test_friends_of_a_user_without_any(chat: httpx.Client) -> None:
    """A user the site knows but who has no friends gets an empty array."""
    assert ids_of(chat.get("/user/friends/4", auth=CHAT_AUTH)) == []


def test_friends_of_an_unknown_user_are_422(chat: httpx.Client) -> None:
    """A user the site does not have is the plugins' 422 "Friends are not available!"."""
    response = chat.get("/user/friends/99999", auth=CHAT_AUTH)
    assert_error(response, 422)
    assert response.json()["error"] == "Friends are not available!"


def test_friends_not_configured_are_422(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """Without a friends operation the call is the plugins' 422, not a 404."""
    client = served(without(demo_site_data(demo_upstream_process), "friends"))
    response = client.get("/user/friends/6", auth=CHAT_AUTH)
    assert_error(response, 422, "Friends are not available!")


@pytest.mark.parametrize("raw", ["1a2", "6,7", "-1", "9" * 30, "%20"])
def test_friends_take_one_valid_id(chat: httpx.Client, raw: str) -> None:
    """The friends call takes exactly one id, valid for the id type; anything else is a 400."""
    assert_error(chat.get(f"/user/friends/{raw}", auth=CHAT_AUTH), 400)


def test_friends_list_is_bounded(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """More friends than `max_friends` are cut off, keeping the site's order."""
    data = demo_site_data(
        demo_upstream_process, {"upstream": {"operations": {"friends": {"max_friends": 2}}}}
    )
    client = served(data)
    assert ids_of(client.get("/user/friends/6", auth=CHAT_AUTH)) == FRIENDS_OF_6[:2]


def test_friends_site_errors_are_502(
    served: Serve, demo_upstream_process: DemoUpstream, tmp_path: Path
) -> None:
    """A friends document the site answers with errors only is a 502, never a 422 or a 500."""
    broken = (ROOT / "resolvers" / "friends.graphql").read_text()
    broken = broken.replace("friends(limit: 500) {", "friends(limit: 500, nosuch: 1) {")
    document = tmp_path / "friends.graphql"
    document.write_text(broken)
    data = demo_site_data(
        demo_upstream_process,
        {"upstream": {"operations": {"friends": {"document": str(document)}}}},
    )
    client = served(data)
    assert_error(client.get("/user/friends/6", auth=CHAT_AUTH), 502)


# --- notifications ----------------------------------------------------------------------------


def test_notification_from_a_form_reaches_the_site(
    chat: httpx.Client, outbox: Callable[[], list[dict[str, Any]]]
) -> None:
    """The plugins' form fields are relayed through the site's mutation, which records them."""
    form = {"title": "New message", "body": "Pedro wrote to you", "email_to": "user6@example.com"}
    response = chat.post("/notifications", data=form, auth=CHAT_AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"code": 200, "version": 1, "sent": True}
    assert outbox() == [
        {
            "user_id": 6,
            "email": "user6@example.com",
            "title": "New message",
            "body": "Pedro wrote to you",
        }
    ]


def test_notification_as_json_with_a_user_id(
    chat: httpx.Client, outbox: Callable[[], list[dict[str, Any]]]
) -> None:
    """A JSON body with the chat's user id (a number) names the recipient without an email."""
    response = chat.post("/notifications", json={"body": "hello", "user_id": 12}, auth=CHAT_AUTH)
    assert response.json() == {"code": 200, "version": 1, "sent": True}
    assert [(n["user_id"], n["title"], n["body"]) for n in outbox()] == [(12, None, "hello")]


def test_notification_empty_fields_are_absent(
    chat: httpx.Client, outbox: Callable[[], list[dict[str, Any]]]
) -> None:
    """A form's empty `email_to` or `user_id` counts as not given, so the other names the user."""
    form = {"body": "hi", "email_to": "", "user_id": "9"}
    assert chat.post("/notifications", data=form, auth=CHAT_AUTH).status_code == 200
    form = {"body": "hi", "email_to": "user8@example.com", "user_id": ""}
    assert chat.post("/notifications", data=form, auth=CHAT_AUTH).status_code == 200
    assert [n["user_id"] for n in outbox()] == [8, 9]
    form = {"body": "hi", "email_to": " ", "user_id": ""}
    assert_error(chat.post("/notifications", data=form, auth=CHAT_AUTH), 400, "recipient")


def test_notification_for_nobody_is_422(
    chat: httpx.Client, outbox: Callable[[], list[dict[str, Any]]]
) -> None:
    """A recipient the site does not know is a 422: the site answered, and did not take it."""
    form = {"body": "hi", "email_to": "nobody@example.org"}
    assert_error(chat.post("/notifications", data=form, auth=CHAT_AUTH), 422, "did not take")
    assert outbox() == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"title": "t", "email_to": "user6@example.com"}, "body"),
        ({"body": "  ", "email_to": "user6@example.com"}, "body"),
        ({"body": "hi"}, "recipient"),
        ({"body": "hi", "email_to": "not-an-email"}, "email_to"),
        ({"body": "hi", "email_to": "a" * 250 + "@example.com"}, "email_to"),
        ({"body": "hi", "email_to": "user6@example.com", "title": "t" * 201}, "title"),
        ({"body": "b" * 4001, "email_to": "user6@example.com"}, "body"),
        ({"body": "hi", "user_id": "6a"}, "user id"),
        ({"body": "hi", "user_id": "6,7"}, "user_id"),
    ],
)
def test_notification_fields_are_checked(
    chat: httpx.Client,
    outbox: Callable[[], list[dict[str, Any]]],
    body: dict[str, str],
    fragment: str,
) -> None:
    """A missing, malformed or over-long field is a 400 naming it, and the site is not asked."""
    assert_error(chat.post("/notifications", data=body, auth=CHAT_AUTH), 400, fragment)
    assert outbox() == []


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b'["body"]', "JSON object"),
        (b'{"body": 5, "user_id": 6}', "body must be text"),
        (b'{"body": "hi", "user_id": true}', "user_id"),
        (b'{"body": "hi", "user_id": [6]}', "user_id"),
    ],
)
def test_notification_json_is_checked(chat: httpx.Client, content: bytes, fragment: str) -> None:
    """A JSON body that is not an object of text fields is a 400 in the chat's shape."""
    response = chat.post(
        "/notifications",
        content=content,
        headers={"Content-Type": "application/json"},
        auth=CHAT_AUTH,
    )
    assert_error(response, 400, fragment)


def test_notification_other_media_types_are_415(chat: httpx.Client) -> None:
    """A body that is neither a form nor JSON is a 415 in the chat's shape."""
    response = chat.post(
        "/notifications", content=b"body=hi", headers={"Content-Type": "text/plain"}, auth=CHAT_AUTH
    )
    assert_error(response, 415, "form")


def test_notification_refuses_files(chat: httpx.Client) -> None:
    """A multipart form carrying a file is refused with a 400, the file never read."""
    response = chat.post(
        "/notifications",
        data={"body": "hi", "email_to": "user6@example.com"},
        files={"attachment": ("a.txt", b"x" * 100)},
        auth=CHAT_AUTH,
    )
    assert_error(response, 400)


def test_notification_body_is_bounded_by_the_limits(chat: httpx.Client) -> None:
    """A body over `limits.max_body_bytes` is a 413 before anything is parsed."""
    big = {"body": "b" * 70_000, "email_to": "user6@example.com"}
    assert_error(chat.post("/notifications", data=big, auth=CHAT_AUTH), 413)


def test_notifications_not_configured_are_404(
    served: Serve, demo_upstream_process: DemoUpstream
) -> None:
    """Without a notify operation the route is not there: a 404 in the chat's shape."""
    client = served(without(demo_site_data(demo_upstream_process), "notify"))
    form = {"body": "hi", "email_to": "user6@example.com"}
    assert_error(client.post("/notifications", data=form, auth=CHAT_AUTH), 404)


def test_notify_variables_follow_the_configuration(
    served: Serve,
    demo_upstream_process: DemoUpstream,
    outbox: Callable[[], list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    """A mutation declaring a variable non-null makes its field required; constants fill others."""
    document = tmp_path / "notify.graphql"
    document.write_text(
        "mutation N($subject: String!, $text: String!, $to: String!) {\n"
        "  sendNotification(title: $subject, body: $text, emailTo: $to)\n}\n"
    )
    operation = {
        "document": str(document),
        "variables": {"text": "body", "to": "email_to"},
        "constants": {"subject": "From the chat"},
    }
    data = demo_site_data(demo_upstream_process)
    data["upstream"]["operations"]["notify"] = operation
    client = served(data)
    assert_error(
        client.post("/notifications", data={"body": "x", "user_id": "6"}, auth=CHAT_AUTH),
        400,
        "email_to",
    )
    form = {"body": "x", "email_to": "user7@example.com", "title": "ignored"}
    assert client.post("/notifications", data=form, auth=CHAT_AUTH).status_code == 200
    assert [(n["user_id"], n["title"]) for n in outbox()] == [(7, "From the chat")]


# --- the plugins' route names -----------------------------------------------------------------


def test_users_path_form_of_octobercms(chat: httpx.Client) -> None:
    """`users/{ids}` answers exactly what `getusers/{ids}` and `users?user_ids=` answer."""
    path_form = chat.get("/users/6,7,12", auth=CHAT_AUTH)
    assert ids_of(path_form) == [6, 7, 12]
    assert path_form.json() == chat.get("/getusers/6,7,12", auth=CHAT_AUTH).json()
    assert path_form.json() == chat.get("/users?user_ids=6,7,12", auth=CHAT_AUTH).json()
    assert_error(chat.get("/users/1a2", auth=CHAT_AUTH), 400, "'1a2'")


def test_octobercms_prefix_keeps_its_urls(
    served: Serve, demo_upstream_process: DemoUpstream
) -> None:
    """With `chat.prefix: /imbachat/api/v1` the OctoberCMS plugin's URLs answer as they did."""
    client = served(demo_site_data(demo_upstream_process, {"chat": {"prefix": "/imbachat/api/v1"}}))
    url = client.base_url.copy_with(path="/imbachat/api/v1/users/6,7")
    assert ids_of(client.get(url, auth=CHAT_AUTH)) == [6, 7]


def test_authuser_marks_administrators(chat: httpx.Client) -> None:
    """`authuser` answers `{user_id, name}`, plus `user_role: "admin"` for the mapping's admins."""
    admin = chat.post("/authuser", data={"username": "user1", "password": "demo"}, auth=CHAT_AUTH)
    assert admin.status_code == 200, admin.text
    assert set(admin.json()) == {"user_id", "name", "user_role"}
    assert admin.json()["user_role"] == "admin"
    member = chat.post("/authuser", data={"username": "user6", "password": "demo"}, auth=CHAT_AUTH)
    assert set(member.json()) == {"user_id", "name"}
    assert member.json()["user_id"] == 6


@pytest.mark.parametrize(
    "form",
    [
        {"username": "user6", "password": "nope"},
        {"login": "user6", "password": "demo"},  # WordPress reads `username` only
        {"username": "user6"},
        {"username": "u" * 2000, "password": "demo"},
    ],
)
def test_authuser_failure_is_403(chat: httpx.Client, form: dict[str, str]) -> None:
    """A refused `authuser` login is the 403 error shape."""
    assert_error(chat.post("/authuser", data=form, auth=CHAT_AUTH), 403)


def test_searchusers_reads_underscores_as_spaces(chat: httpx.Client) -> None:
    """`searchusers/{text}` turns `_` into a space and answers a plain `{user_id, name}` array."""
    response = chat.post("/searchusers/Pedro_Fischer", auth=CHAT_AUTH)
    assert response.status_code == 200, response.text
    found = response.json()
    assert found
    assert all(set(user) == {"user_id", "name"} for user in found)
    assert all(user["name"] == "Pedro Fischer" for user in found)
    assert chat.post("/searchusers/zzzzzz", auth=CHAT_AUTH).json() == []


def test_searchusers_text_is_bounded(chat: httpx.Client) -> None:
    """`searchusers` has the search call's bounds: empty (only `_`) or over-long text is a 400."""
    assert_error(chat.post("/searchusers/___", auth=CHAT_AUTH), 400, "search text")
    assert_error(chat.post("/searchusers/" + "a" * 65, auth=CHAT_AUTH), 400, "search text")


def test_plugin_routes_need_the_chat_credentials(chat: httpx.Client) -> None:
    """Every chat-server call under a plugin's name refuses a call without Basic credentials."""
    for response in (
        chat.get("/users/1"),
        chat.get("/user/friends/6"),
        chat.post("/authuser", data={"username": "user6", "password": "demo"}),
        chat.post("/searchusers/user"),
        chat.post("/notifications", data={"body": "hi", "email_to": "user6@example.com"}),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="Backend"'


# --- gettoken -----------------------------------------------------------------------------------


def test_gettoken_for_the_signed_in_viewer(
    chat: httpx.Client, demo_upstream_process: DemoUpstream
) -> None:
    """`gettoken` signs a widget token for whoever the site's session says, and is never cached."""
    response = chat.get("/gettoken", headers=sign_in(demo_upstream_process, "user6"))
    claims = token_for(response)
    assert claims["user_id"] == 6
    assert response.json()["user_id"] == 6
    assert response.json()["expires_at"] == claims["exp"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_gettoken_ignores_a_claimed_id(
    chat: httpx.Client, demo_upstream_process: DemoUpstream
) -> None:
    """A user id in the request changes nothing: the token is the session's user's, or none."""
    session = sign_in(demo_upstream_process, "user6")
    assert token_for(chat.get("/gettoken?user_id=1", headers=session))["user_id"] == 6
    anonymous = chat.get("/gettoken?user_id=1&id=1")
    assert_error(anonymous, 401, "Sign in")
    assert "www-authenticate" not in anonymous.headers


def test_gettoken_chat_credentials_are_no_viewer(chat: httpx.Client) -> None:
    """The chat's Basic credentials do not make anyone signed in; forged sessions neither."""
    assert_error(chat.get("/gettoken", auth=CHAT_AUTH), 401)
    forged = {"Cookie": "demo_session=6.9999999999.forged"}
    assert_error(chat.get("/gettoken", headers=forged), 401)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_gettoken_refuses_other_sites(
    chat: httpx.Client, demo_upstream_process: DemoUpstream, headers: dict[str, str]
) -> None:
    """A request another site's page caused is a 403, even with the viewer's session cookie."""
    session = sign_in(demo_upstream_process, "user6")
    assert_error(chat.get("/gettoken", headers={**session, **headers}), 403, "own pages")


def test_gettoken_from_the_sites_own_page(
    chat: httpx.Client, demo_upstream_process: DemoUpstream
) -> None:
    """A same-origin fetch (its Origin is this host, Sec-Fetch-Site same-origin) gets the token."""
    session = sign_in(demo_upstream_process, "user6")
    host = httpx.URL(str(chat.base_url)).netloc.decode()
    headers = {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    assert token_for(chat.get("/gettoken", headers={**session, **headers}))["user_id"] == 6


def test_gettoken_origin_is_scheme_host_and_port(
    chat: httpx.Client, demo_upstream_process: DemoUpstream
) -> None:
    """An `Origin` naming this host with another scheme or port is another site's page: 403, the
    rule `/graphql` applies (a plain-http request from `https://` on the same host included)."""
    session = sign_in(demo_upstream_process, "user6")
    url = httpx.URL(str(chat.base_url))
    others = [
        f"https://{url.host}:{url.port}",
        f"https://{url.host}",
        f"http://{url.host}:{(url.port or 80) + 1}",
        f"http://{url.host}:{url.port}/",
    ]
    for origin in others:
        answer = chat.get("/gettoken", headers={**session, "Origin": origin})
        assert_error(answer, 403, "own pages")


def test_gettoken_spends_the_token_budgets(
    served: Serve, demo_upstream_process: DemoUpstream
) -> None:
    """`gettoken` spends issueChatToken's per-viewer budget: over it, a 429 with Retry-After."""
    data = demo_site_data(
        demo_upstream_process, {"graphql": {"rate_limit": {"per_viewer": "2/minute"}}}
    )
    client = served(data)
    session = sign_in(demo_upstream_process, "user7")
    for _ in range(2):
        assert token_for(client.get("/gettoken", headers=session))["user_id"] == 7
    refused = client.get("/gettoken", headers=session)
    assert_error(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["cache-control"] == "no-store"


def test_gettoken_shares_the_address_budget_with_graphql(
    served: Serve, demo_upstream_process: DemoUpstream
) -> None:
    """`gettoken` and `issueChatToken` spend one per-address budget: no way around it."""
    data = demo_site_data(
        demo_upstream_process, {"graphql": {"rate_limit": {"per_ip": "3/minute"}}}
    )
    client = served(data)
    graphql = client.base_url.copy_with(path="/graphql")
    mutation = {"query": "mutation { issueChatToken { token } }"}
    assert_error(client.get("/gettoken"), 401)
    assert client.post(graphql, json=mutation).json()["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert_error(client.get("/gettoken"), 401)
    assert_error(client.get("/gettoken"), 429)
    refused = client.post(graphql, json=mutation).json()["errors"][0]["extensions"]
    assert refused["code"] == "RATE_LIMITED"


def test_gettoken_is_off_without_the_frontend_api(
    served: Serve, demo_upstream_process: DemoUpstream
) -> None:
    """Without the `graphql` section (no tokens, no viewer) the route is not there: a 404."""
    data = demo_site_data(demo_upstream_process)
    for section in ("graphql", "tokens", "viewer"):
        data.pop(section, None)
    client = served(data)
    session = sign_in(demo_upstream_process, "user6")
    assert_error(client.get("/gettoken", headers=session), 404)


# --- refused on purpose ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sync", "getauthdata"])
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("auth", [None, CHAT_AUTH])
def test_sync_and_getauthdata_are_refused(
    chat: httpx.Client, name: str, method: str, auth: tuple[str, str] | None
) -> None:
    """`sync` and `getauthdata` are a 404 in the chat's shape, with or without credentials."""
    response = chat.request(method, f"/{name}", auth=auth, data={"login": "x", "password": "y"})
    assert_error(response, 404, "not offered")
    assert "abc" not in response.text


def test_sync_leaves_the_credentials_alone(chat: httpx.Client) -> None:
    """After a `sync` with new credentials, the configured ones still pass, the new ones do not."""
    chat.post("/sync", data={"api_login": "evil", "api_password": "evil", "secret_key": "evil"})
    assert chat.get("/users?user_ids=1", auth=CHAT_AUTH).status_code == 200
    assert chat.get("/users?user_ids=1", auth=("evil", "evil")).status_code == 401


def test_users_info_routes_are_the_edges(make_settings: Callable[..., Any]) -> None:
    """The hot path pays nothing for the plugins' routes: the users-info routes are answered at
    the edge (tests/chat/test_edge.py), and FastAPI's chat router does not list them."""
    paths = [getattr(route, "path", "") for route in chat_router(make_settings()).routes]
    assert set(paths[:2]) == {PREFIX, f"{PREFIX}/"}  # the version call
    assert not {f"{PREFIX}/users", f"{PREFIX}/getusers/{{user_ids}}"} & set(paths)
    assert f"{PREFIX}/user/friends/{{user_id}}" in paths
