"""viewer.mode jwt: a session token whose `exp` is not a number is refused, and never remembered."""

from __future__ import annotations

import time
from typing import Any

import jwt

from adapter.app import create_app
from tests.graphql.support import ISSUE, error_code
from tests.support import SettingsFactory, asgi_client, gql

SECRET = "site-session-secret-0123456789abcdef"


def _settings(make_settings: SettingsFactory) -> Any:
    section = {
        "header": "Authorization",
        "algorithms": ["HS256"],
        "secret": SECRET,
        "issuer": "site",
        "audience": "imbachat",
    }
    return make_settings({"viewer": {"mode": "jwt", "jwt": section}})


def _bearer(**claims: Any) -> dict[str, str]:
    base = {"sub": "6", "iss": "site", "aud": "imbachat", **claims}
    return {"Authorization": "Bearer " + jwt.encode(base, SECRET, algorithm="HS256")}


async def test_a_string_exp_is_unauthenticated_every_time(make_settings: SettingsFactory) -> None:
    """A session with `"exp": "<digits>"` (which PyJWT lets through) is refused on the first
    `issueChatToken` and on every later one alike, never "Unexpected error."; a numeric `exp`
    still identifies its user."""
    soon = int(time.time()) + 600
    string_exp = _bearer(exp=str(soon))
    async with asgi_client(create_app(_settings(make_settings))) as client:
        answers = [await gql(client, ISSUE, headers=string_exp) for _ in range(3)]
        assert [error_code(a) for a in answers] == [error_code(answers[0])] * 3
        wrong_key = {"Authorization": "Bearer x.y.z"}
        assert error_code(answers[0]) == error_code(await gql(client, ISSUE, headers=wrong_key))
        good = await gql(client, ISSUE, headers=_bearer(exp=soon))
        assert good["data"]["issueChatToken"]["userId"] == "6"
