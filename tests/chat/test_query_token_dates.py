"""The chat's `jwt_token` query parameter: a token whose `exp` is not a number is refused."""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from adapter.app import create_app
from tests.chat.support import PREFIX
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client, assert_error_shape

KEY = ":".join(CHAT_AUTH)


def sign(claims: dict[str, Any]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, KEY, algorithm="HS256")


async def test_a_string_exp_is_a_401_not_a_500(make_settings: SettingsFactory) -> None:
    """`exp` as a numeric string passes PyJWT's own check; the adapter answers 401 in the
    chat's error shape, as for any other bad token, and a numeric `exp` still passes auth."""
    settings = make_settings({"chat": {"query_token": {"enabled": True}}})
    soon = int(time.time()) + 600
    refused = [
        sign({"exp": str(soon)}),
        sign({"exp": True}),
        sign({"exp": soon, "nbf": str(soon - 60)}),
        sign({"exp": soon, "iat": [soon]}),
    ]
    async with asgi_client(create_app(settings)) as client:
        for token in refused:
            response = await client.get(
                f"{PREFIX}/users", params={"user_ids": "", "jwt_token": token}
            )
            body = assert_error_shape(response, 401)
            assert body["error"] == "Authenticate required!"
        good = await client.get(
            f"{PREFIX}/users", params={"user_ids": "", "jwt_token": sign({"exp": soon})}
        )
        assert good.status_code == 200, good.text
