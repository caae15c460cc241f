"""docs/protocol.md sections 1-3, end to end: a real adapter server against the demo upstream.

Each test names the clause it proves. The adapter runs under uvicorn on a loopback port and asks
the demo upstream, itself a separate process, over HTTP.
"""

from __future__ import annotations

import base64
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from tests.chat.support import assert_error, demo_site_data, ids_of
from tests.servers import DemoUpstream
from tests.support import CHAT_AUTH, NO_TOKEN_API

ERROR_401 = {"code": 401, "version": 1, "error": "Authenticate required!", "debug": ""}


def sign(claims: dict[str, Any], key: str) -> str:
    """An HS256 JWT with the vendor's short "login:password" key (PyJWT warns about its length)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm="HS256")


Serve = Callable[[dict[str, Any]], httpx.Client]


@pytest.fixture(scope="module")
def chat(
    served: Callable[[dict[str, Any]], httpx.Client], demo_upstream_process: DemoUpstream
) -> httpx.Client:
    """The reference configuration, pointed at the demo upstream process."""
    return served(demo_site_data(demo_upstream_process))


def users(client: httpx.Client, query: str, **kwargs: Any) -> httpx.Response:
    return client.get(f"/users?{query}", auth=kwargs.pop("auth", CHAT_AUTH), **kwargs)


# --- section 1: authenticating the chat server ---------------------------------------------


def test_s1_right_credentials_pass(chat: httpx.Client) -> None:
    """§1: the API login and password from the widget settings are accepted."""
    assert ids_of(users(chat, "user_ids=1")) == [1]


def test_s1_login_is_case_insensitive_password_is_not(chat: httpx.Client) -> None:
    """§1: the login is compared case-insensitively, the password exactly."""
    assert ids_of(users(chat, "user_ids=1", auth=("ROOT", "abc"))) == [1]
    assert users(chat, "user_ids=1", auth=("root", "ABC")).status_code == 401


def test_s1_no_php_loose_comparison(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """§1: "1e3" does not equal "1000" (the plugins' PHP loose-comparison bug is not copied)."""
    client = served(demo_site_data(demo_upstream_process, {"chat": {"api_password": "1000"}}))
    assert users(client, "user_ids=1", auth=("root", "1e3")).status_code == 401
    assert users(client, "user_ids=1", auth=("root", "1000")).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"root:wrong").decode(),
        "Basic " + base64.b64encode(b"nobody:abc").decode(),
        "Basic " + base64.b64encode(b"rootabc").decode(),
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:abc").decode(),
        "Bearer " + base64.b64encode(b"root:abc").decode(),
        "Basic " + "A" * 5000,
        "",
    ],
)
def test_s1_failure_shape(chat: httpx.Client, authorization: str | None) -> None:
    """§1: every failure is 401, `WWW-Authenticate: Basic realm="Backend"`, the exact JSON body."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = chat.get("/users?user_ids=1", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Backend"'
    assert response.headers["content-type"] == "application/json"
    assert response.json() == ERROR_401


def test_s1_every_chat_call_but_version_needs_auth(chat: httpx.Client) -> None:
    """§1: users (both forms), search and auth_users refuse unauthenticated calls."""
    for response in (
        chat.get("/users?user_ids=1"),
        chat.get("/getusers/1"),
        chat.get("/search/user"),
        chat.post("/auth_users", data={"login": "user6", "password": "demo"}),
    ):
        assert response.json() == ERROR_401
    assert chat.get("").status_code == 200


def test_s1_query_token_is_off_unless_configured(chat: httpx.Client) -> None:
    """§1: a `jwt_token` query parameter is ignored when the option is off."""
    token = sign({"imba_id": "demo"}, "root:abc")
    assert chat.get(f"/users?user_ids=1&jwt_token={token}").status_code == 401


def test_s1_query_token_when_configured(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """§1: on, a JWT signed with "login:password" passes with a near `exp`; never without one."""
    client = served(
        demo_site_data(demo_upstream_process, {"chat": {"query_token": {"enabled": True}}})
    )
    soon = int(time.time()) + 600
    good = sign({"imba_id": "demo", "exp": soon}, "root:abc")
    plain = sign({"sub": "chat", "exp": soon}, "root:abc")
    expired = sign({"imba_id": "demo", "exp": 1}, "root:abc")
    no_expiry = sign({"imba_id": "demo"}, "root:abc")
    too_long = sign({"imba_id": "demo", "exp": soon + 3600}, "root:abc")
    wrong_widget = sign({"imba_id": "other", "exp": soon}, "root:abc")
    wrong_key = sign({"imba_id": "demo", "exp": soon}, "root:abd")
    unsigned = jwt.encode({"imba_id": "demo", "exp": soon}, "", algorithm="none")
    assert ids_of(client.get(f"/users?user_ids=2&jwt_token={good}")) == [2]
    assert ids_of(client.get(f"/users?user_ids=2&jwt_token={plain}")) == [2]
    refused = (expired, no_expiry, too_long, wrong_widget, wrong_key, unsigned)
    for token in (*refused, "garbage", "x" * 2000):
        assert client.get(f"/users?user_ids=2&jwt_token={token}").json() == ERROR_401


# --- section 2: users info ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/users?user_ids=6,7,12",
        "/users?ids=6,7,12",
        "/getusers/6,7,12",
        "/users?user_ids=6&ids=7,12",
    ],
)
def test_s2_three_forms_one_handler(chat: httpx.Client, path: str) -> None:
    """§2: `user_ids`, `ids` and the path segment all reach the same handler."""
    assert ids_of(chat.get(path, auth=CHAT_AUTH)) == [6, 7, 12]


def test_s2_whitespace_empty_items_and_duplicates(chat: httpx.Client) -> None:
    """§2: whitespace is ignored, empty items skipped, duplicates collapse, first position kept."""
    assert ids_of(users(chat, "user_ids=%207%20,,3,7,%203,,")) == [7, 3]
    assert ids_of(users(chat, "user_ids=")) == []


def test_s2_configurable_separator(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """§2: the "symbol to split arguments" is configurable."""
    client = served(demo_site_data(demo_upstream_process, {"chat": {"ids": {"separator": ";"}}}))
    assert ids_of(users(client, "user_ids=3;1;2")) == [3, 1, 2]
    assert_error(users(client, "user_ids=3,1"), 400, "'3,1'")


@pytest.mark.parametrize(
    ("query", "item"),
    [
        ("user_ids=1a2", "'1a2' at position 1"),
        ("user_ids=1,-2", "'-2' at position 2"),
        ("user_ids=1,2.5", "'2.5'"),
        ("user_ids=%D9%A3", "'\u0663'"),  # an Arabic-Indic digit is not an ASCII id
        ("user_ids=99999999999999999999", "'99999999999999999999'"),
        ("user_ids=" + "9" * 100, "..."),
    ],
)
def test_s2_invalid_ids_are_400_naming_the_item(chat: httpx.Client, query: str, item: str) -> None:
    """§2: an id that is not valid for the id type is a 400 naming it; no id is invented."""
    assert_error(users(chat, query), 400, "invalid user id", item)


def test_s2_missing_id_list_is_400(chat: httpx.Client) -> None:
    """§2: a users call without any id list is a 400 in the JSON shape."""
    assert_error(users(chat, "other=1"), 400, "user_ids")


def test_s2_string_ids(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """§2: string ids are optional; they are checked against the configured pattern."""
    client = served(
        demo_site_data(
            demo_upstream_process,
            # The token API needs integer ids (a token names the site's integer user id).
            {"chat": {"ids": {"type": "str", "str_pattern": "[0-9]{1,6}"}}, **NO_TOKEN_API},
        )
    )
    assert ids_of(users(client, "user_ids=2,1")) == ["2", "1"]
    assert_error(users(client, "user_ids=abc"), 400, "'abc'", "[0-9]{1,6}")


def test_s2_bound_on_ids_per_call(served: Serve, demo_upstream_process: DemoUpstream) -> None:
    """§2: more ids than the configured maximum is a 400; exactly the maximum is fine."""
    client = served(demo_site_data(demo_upstream_process, {"chat": {"ids": {"max_per_call": 5}}}))
    assert ids_of(users(client, "user_ids=1,2,3,4,5,5")) == [1, 2, 3, 4, 5]
    assert_error(users(client, "user_ids=1,2,3,4,5,6"), 400, "at most 5")


def test_s2_default_bound_is_1000(chat: httpx.Client) -> None:
    """§2: the default maximum is 1000 ids per call."""
    thousand = ",".join(str(i) for i in range(1, 1001))
    assert len(ids_of(users(chat, f"user_ids={thousand}"))) == 1000
    assert_error(users(chat, f"user_ids={thousand},1001"), 400, "at most 1000")


def test_s2_url_length_is_bounded(chat: httpx.Client) -> None:
    """§2: an over-long URL is refused in the JSON shape (414), not by a framework page."""
    assert_error(users(chat, "user_ids=" + "1," * 9000), 414, "URL")


def test_s2_array_even_for_one_and_empty_when_nothing(chat: httpx.Client) -> None:
    """§2: the answer is a JSON array for one user, and `[]` when nothing matches."""
    one = users(chat, "user_ids=5")
    assert one.headers["content-type"] == "application/json"
    assert isinstance(one.json(), list)
    assert len(one.json()) == 1
    assert users(chat, "user_ids=99999").json() == []


def test_s2_unknown_ids_left_out_order_kept(chat: httpx.Client) -> None:
    """§2: unknown ids are left out, and the rest keep the request's order."""
    assert ids_of(users(chat, "user_ids=12,99999,3,0,7")) == [12, 3, 7]


def test_s2_element_shape(chat: httpx.Client) -> None:
    """§2: integer user_id, a name, avatar false when none, sub-profiles, mapped extras."""
    first, fourth, sixth = users(chat, "user_ids=1,4,6").json()
    assert first["user_id"] == 1
    assert isinstance(first["name"], str)
    assert first["avatar_url"].startswith("https://")
    assert first["profile_url"] == "https://www.example.com/members/user1/"
    assert isinstance(first["lastlogin"], int)
    assert first["badge"] == "VIP"
    assert first["chat_role"] == "admin"
    assert fourth["name"] == "user4"  # the fallback when displayName is null
    assert fourth["avatar_url"] is False
    assert "badge" not in fourth
    assert sixth["profiles"]["61"]["user_id"] == "P6-A"
    assert set(sixth["profiles"]["61"]) == {"user_id", "name", "avatar_url"}


@pytest.mark.parametrize("strategy", ["list", "alias"])
def test_s2_250_ids_cost_one_request_per_chunk(
    served: Serve, demo_upstream: DemoUpstream, strategy: str
) -> None:
    """§2 batching: 250 uncached ids cost ceil(250 / 100) = 3 upstream requests, either strategy."""
    document = "users.graphql" if strategy == "list" else "user_by_id.graphql"
    client = served(
        demo_site_data(
            demo_upstream,
            {
                "upstream": {
                    "batch": {"strategy": strategy, "size": 100},
                    "operations": {"users": {"document": f"resolvers/{document}"}},
                }
            },
        )
    )
    demo_upstream.reset()
    ids = ",".join(str(i) for i in range(1, 251))
    assert ids_of(users(client, f"user_ids={ids}")) == list(range(1, 251))
    assert demo_upstream.requests() == math.ceil(250 / 100)
    assert ids_of(users(client, f"user_ids={ids}")) == list(range(1, 251))
    assert demo_upstream.requests() == math.ceil(250 / 100)  # the second call is all cache


# --- section 3: the other chat-facing calls ----------------------------------------------------


def test_s3_version_needs_no_auth(chat: httpx.Client) -> None:
    """§3: the version call answers without credentials."""
    for path in ("", "/"):
        response = chat.get(path)
        assert response.status_code == 200
        assert response.json() == {"version": 1, "type": "imbachat-adapter"}


def test_s3_search(chat: httpx.Client) -> None:
    """§3: search answers `{"code":200,"version":1,"data":[...]}` with mapped users."""
    body = chat.get("/search/user12", auth=CHAT_AUTH).json()
    assert body["code"] == 200
    assert body["version"] == 1
    assert [u["user_id"] for u in body["data"]][:2] == [12, 120]
    assert all({"user_id", "name"} <= set(u) for u in body["data"])


def test_s3_search_without_matches_keeps_data(chat: httpx.Client) -> None:
    """§3: `data` is `[]` when nothing matches (never dropped)."""
    assert chat.get("/search/zzzzzz", auth=CHAT_AUTH).json() == {
        "code": 200,
        "version": 1,
        "data": [],
    }


def test_s3_search_text_is_bounded(chat: httpx.Client) -> None:
    """§3: an over-long search text is a 400 in the JSON shape."""
    assert_error(chat.get("/search/" + "a" * 65, auth=CHAT_AUTH), 400, "search text")


@pytest.mark.parametrize("field", ["login", "username", "email"])
def test_s3_password_login(chat: httpx.Client, field: str) -> None:
    """§3: auth_users takes login/username/email and password, answers `{user_id, name}`."""
    response = chat.post("/auth_users", data={field: "user6", "password": "demo"}, auth=CHAT_AUTH)
    assert response.status_code == 200
    assert set(response.json()) == {"user_id", "name"}
    assert response.json()["user_id"] == 6


@pytest.mark.parametrize(
    "form",
    [
        {"login": "user6", "password": "nope"},
        {"login": "user6"},
        {"password": "demo"},
        {"login": "x" * 2000, "password": "demo"},
    ],
)
def test_s3_password_login_failure(chat: httpx.Client, form: dict[str, str]) -> None:
    """§3: a refused login is 403 with the JSON error shape."""
    response = chat.post("/auth_users", data=form, auth=CHAT_AUTH)
    assert_error(response, 403)


def test_s3_unconfigured_calls_are_json_404(
    served: Serve, demo_upstream_process: DemoUpstream
) -> None:
    """§3: calls that are not configured answer 404 in the JSON shape."""
    data = demo_site_data(demo_upstream_process)
    data["upstream"]["operations"] = {"users": data["upstream"]["operations"]["users"]}
    client = served(data)
    assert_error(client.get("/search/user", auth=CHAT_AUTH), 404)
    assert_error(client.post("/auth_users", data={"login": "a"}, auth=CHAT_AUTH), 404)


def test_s3_framework_pages_are_json(chat: httpx.Client) -> None:
    """§3: unknown routes and wrong methods get the JSON error shape, never an HTML page."""
    assert_error(chat.get("/nope"), 404)
    assert_error(chat.get("/../../etc/passwd"), 404)
    assert_error(chat.delete("/users?user_ids=1", auth=CHAT_AUTH), 405)
