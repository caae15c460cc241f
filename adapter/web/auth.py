"""Is this the chat server? HTTP Basic with the widget's API login and password, or the
`jwt_token` query parameter for hosts that strip the header (docs/protocol.md section 1).

Login and password are both always compared, so the time taken says nothing about which one
was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
import warnings

import jwt
from jwt.warnings import InsecureKeyLengthWarning
from starlette.requests import Request

from adapter.config import ChatSettings
from adapter.errors import NotAuthenticated
from adapter.tokens import require_numeric_dates

__all__ = ["ChatServerAuth"]

# An Authorization header longer than this is not worth decoding.
_MAX_AUTHORIZATION = 1024


class ChatServerAuth:
    """Checks a request's credentials against the configured API login and password."""

    def __init__(self, settings: ChatSettings) -> None:
        self._login = settings.api_login.get_secret_value().lower().encode()
        self._password = settings.api_password.get_secret_value().encode()
        # The header the chat server sends, byte for byte: one compare accepts the usual call
        # before any decoding (a warm users-info call pays for the check on every request).
        self._exact_header = b"Basic " + base64.b64encode(
            settings.api_login.get_secret_value().encode() + b":" + self._password
        )
        # The query parameter that may carry a signed token, when that is switched on.
        self.token_parameter = (
            settings.query_token.parameter if settings.query_token.enabled else None
        )
        self._token_key = (
            settings.api_login.get_secret_value() + ":" + settings.api_password.get_secret_value()
        )
        self._widget_id = settings.widget_id
        self._token_lifetime = settings.query_token.max_lifetime_seconds

    async def __call__(self, request: Request) -> None:
        """Return when the caller is the chat server; raise NotAuthenticated otherwise (a FastAPI
        dependency, async: a plain `def` one would run in a worker thread)."""
        token = None
        if self.token_parameter is not None:
            token = request.query_params.get(self.token_parameter)
        self.check_values(request.headers.get("authorization"), token)

    def check_values(self, authorization: str | None, token: str | None) -> None:
        """The check given the Authorization header and the token parameter (last value) as text."""
        if authorization is not None and self._basic_ok(authorization):
            return
        if self.token_parameter is not None and token is not None and self._token_ok(token):
            return
        raise NotAuthenticated()

    def _basic_ok(self, header: str) -> bool:
        if len(header) > _MAX_AUTHORIZATION:
            return False
        if header.isascii() and hmac.compare_digest(header.encode(), self._exact_header):
            return True
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        login, colon, password = decoded.partition(b":")
        if not colon:
            return False
        try:
            login = login.decode().lower().encode()
        except UnicodeDecodeError:
            return False
        login_ok = hmac.compare_digest(login, self._login)
        password_ok = hmac.compare_digest(password, self._password)
        return login_ok & password_ok

    def _token_ok(self, token: str) -> bool:
        if len(token) > _MAX_AUTHORIZATION:
            return False
        try:
            with warnings.catch_warnings():
                # The vendor fixed the key as "login:password"; a short one is not ours to refuse.
                warnings.simplefilter("ignore", InsecureKeyLengthWarning)
                claims = jwt.decode(
                    token, self._token_key, algorithms=["HS256"], options={"require": ["exp"]}
                )
            require_numeric_dates(claims)
        except jwt.PyJWTError:
            return False
        # `exp` is a number in the future; a URL that works for years is a password in every
        # access log it passes through.
        if claims["exp"] > time.time() + self._token_lifetime:
            return False
        if "imba_id" in claims:
            return self._widget_id is not None and str(claims["imba_id"]) == self._widget_id
        return True
