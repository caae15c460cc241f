"""The chat-facing side: credentials, id lists, request bounds, the users-changed webhook."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from adapter.config.base import Model

__all__ = [
    "MAX_CHAT_ID",
    "ChatSettings",
    "IdSettings",
    "LimitsSettings",
    "QueryTokenSettings",
    "WebhookSettings",
    "chat_int_id",
]

# The chat's integer ids are 0 to 2**63-1 (its database's signed 64-bit key).
MAX_CHAT_ID = 2**63 - 1


def chat_int_id(value: object) -> int | None:
    """`value` as an integer chat id (an int, or a string of ASCII digits), or None if it is not.

    The one rule for every integer id the adapter takes in: no sign, no spaces, no bools, no
    number outside the chat's range.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        # Checked for length first: int() of a megabyte of digits is slow.
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_CHAT_ID)):
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_CHAT_ID:
        return value
    return None


class IdSettings(Model):
    type: Literal["int", "str"] = "int"
    separator: str = Field(",", min_length=1, max_length=4)
    max_per_call: int = Field(1000, gt=0, le=100_000)
    str_pattern: str = r"[A-Za-z0-9_.:@+/=-]{1,128}"

    @field_validator("str_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class QueryTokenSettings(Model):
    """The `jwt_token` query parameter, for hosts that strip the Authorization header."""

    enabled: bool = False
    parameter: str = "jwt_token"
    max_lifetime_seconds: int = Field(3600, gt=0, le=30 * 86400)


class ChatSettings(Model):
    prefix: str = "/imbachat/v1"
    product_name: str = "imbachat-adapter"
    api_login: SecretStr
    api_password: SecretStr
    widget_id: str | None = None
    ids: IdSettings = IdSettings()
    query_token: QueryTokenSettings = QueryTokenSettings()

    @field_validator("prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if not value.startswith("/") or (len(value) > 1 and value.endswith("/")):
            raise ValueError("must start with '/' and not end with '/'")
        return value

    @field_validator("api_login", "api_password")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty: an empty credential would let anyone in")
        return value


class LimitsSettings(Model):
    max_body_bytes: int = Field(64 * 1024, gt=0)
    max_url_bytes: int = Field(16 * 1024, gt=0)
    max_header_bytes: int = Field(8 * 1024, gt=0)
    header_timeout_seconds: float = Field(10.0, gt=0, le=300)


class WebhookSettings(Model):
    """`POST {chat.prefix}/webhooks/users-changed`: the site tells us which profiles changed."""

    secret: SecretStr = SecretStr("")
    tolerance_seconds: int = Field(300, gt=0, le=3600)
    max_body_bytes: int = Field(64 * 1024, gt=0, le=16 * 1024 * 1024)

    @property
    def enabled(self) -> bool:
        return bool(self.secret.get_secret_value())

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if 0 < len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters, or empty to turn the webhook off")
        return value
