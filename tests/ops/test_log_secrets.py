"""No credential, token, password or cookie value reaches a log line, across a whole served run."""

from __future__ import annotations

import base64
import json
import secrets
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
from jwt.warnings import InsecureKeyLengthWarning

from tests.commands import environment, real_site, write_config
from tests.ops.support import Served
from tests.servers import DemoUpstream

TOKEN_MUTATION = "mutation { issueChatToken { token userId expiresAt } }"


def values(node: Any) -> Iterator[Any]:
    """Every scalar in a decoded JSON log line."""
    if isinstance(node, dict):
        for value in node.values():
            yield from values(value)
    elif isinstance(node, list):
        for value in node:
            yield from values(value)
    else:
        yield node


def site_session(demo_upstream: DemoUpstream, user_id: int) -> str:
    """A session token from the demo site's own login, as a signed-in page would hold."""
    answer = httpx.post(
        demo_upstream.graphql_url,
        json={
            "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) "
            "{ token } }",
            "variables": {"u": f"user{user_id}", "p": "demo"},
        },
    )
    token: str = answer.json()["data"]["login"]["token"]
    return token


def test_no_secret_value_in_any_log_line(
    tmp_path: Path, demo_upstream: DemoUpstream, serve_adapter: Callable[..., Served]
) -> None:
    """Basic and query-token auth, logins, sessions, cookies, widget and admin tokens, and what a
    notification says and to whom: none of it logs."""
    login, password = f"chat{secrets.token_hex(6)}", f"chat-pw-{secrets.token_hex(8)}"
    wrong_password = f"wrong-pw-{secrets.token_hex(8)}"
    site_key = f"site-key-{secrets.token_hex(12)}"
    widget_secret = secrets.token_hex(24)
    admin_token = secrets.token_hex(24)
    env = environment(
        IMBACHAT_API_LOGIN=login,
        IMBACHAT_API_PASSWORD=password,
        IMBACHAT_SECRET_KEY=widget_secret,
        IMBACHAT_ADMIN_TOKEN=admin_token,
        SITE_KEY=site_key,
    )
    overrides = real_site(demo_upstream.graphql_url)
    overrides["upstream"]["headers"] = {"X-Site-Key": "${SITE_KEY}"}
    overrides["chat"] = {"query_token": {"enabled": True}}
    served = serve_adapter(write_config(tmp_path, overrides), "--log-level", "debug", env=env)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        query_token = jwt.encode(
            {"sub": "chat", "exp": int(time.time()) + 600}, f"{login}:{password}", algorithm="HS256"
        )
    session = site_session(demo_upstream, 5)
    note_title, note_body = f"title-{secrets.token_hex(6)}", f"body-{secrets.token_hex(6)}"

    statuses: list[int] = []
    issued: list[str] = []
    with httpx.Client(base_url=served.url, timeout=30) as client:

        def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
            response = client.request(method, url, **kwargs)
            statuses.append(response.status_code)
            return response

        call("GET", "/imbachat/v1/users?user_ids=1,2,3", auth=(login, password))
        call("GET", "/imbachat/v1/getusers/4,5", auth=(login, password))
        call("GET", "/imbachat/v1/users?user_ids=1", auth=(login, wrong_password))
        call("GET", f"/imbachat/v1/users?user_ids=6&jwt_token={query_token}")
        call("GET", "/imbachat/v1/users?user_ids=1,x", auth=(login, password))
        form = {"login": "user5", "password": "demo"}
        call("POST", "/imbachat/v1/auth_users", data=form, auth=(login, password))
        form = {"login": "user5", "password": wrong_password}
        call("POST", "/imbachat/v1/auth_users", data=form, auth=(login, password))
        for headers in (
            {"Authorization": f"Bearer {session}"},
            {"Cookie": f"demo_session={session}"},
        ):
            answer = call("POST", "/graphql", json={"query": TOKEN_MUTATION}, headers=headers)
            issued.append(answer.json()["data"]["issueChatToken"]["token"])
        call(
            "POST",
            "/graphql",
            json={"query": 'mutation { invalidateChatUsers(userIds: ["1"]) }'},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        # The plugins' calls: a WordPress login, a page's token, a notification (personal data),
        # friends, and a `sync` carrying credentials of its own.
        form = {"username": "user5", "password": wrong_password}
        call("POST", "/imbachat/v1/authuser", data=form, auth=(login, password))
        answer = call("GET", "/imbachat/v1/gettoken", headers={"Cookie": f"demo_session={session}"})
        issued.append(answer.json()["token"])
        note = {"title": note_title, "body": note_body, "email_to": "user5@example.com"}
        call("POST", "/imbachat/v1/notifications", data=note, auth=(login, password))
        call("GET", "/imbachat/v1/user/friends/5", auth=(login, password))
        call("POST", "/imbachat/v1/sync", data={"api_login": login, "api_password": wrong_password})
        for probe in ("/healthz", "/readyz", "/metrics"):
            call("GET", probe)
    code, log = served.stop()

    assert code == 0
    assert statuses[:10] == [200, 200, 401, 200, 400, 200, 403, 200, 200, 200]
    assert statuses[10:] == [403, 200, 200, 200, 404, 200, 200, 200]
    basic = base64.b64encode(f"{login}:{password}".encode()).decode()
    forbidden = [login, password, wrong_password, site_key, widget_secret, admin_token, session]
    forbidden += [query_token, basic, *issued, note_title, note_body, "user5@example.com"]
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    for secret in forbidden:
        assert secret not in log
    # The demo's own password is a short word: it must not be any logged value.
    assert all(value != "demo" for line in lines for value in values(line))
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) == len(statuses)
    assert [line["status"] for line in requests] == statuses
    for line in requests:
        assert {"request_id", "route", "status", "duration_ms", "method"} <= line.keys()
    assert requests[0]["ids"] == 3
    assert requests[0]["route"] == "/imbachat/v1/users"
    # Routes are templates: ids in a path never become part of a log line's route.
    assert requests[1]["route"] == "/imbachat/v1/getusers/{user_ids}"
