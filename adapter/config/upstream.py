"""The site's GraphQL API: where it is, how it is called, and the operation documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    JsonValue,
    SecretStr,
    model_validator,
)

from adapter.config.base import Model

__all__ = [
    "BatchSettings",
    "BreakerSettings",
    "FriendsOperation",
    "GlobalIdSettings",
    "LoginOperation",
    "NotifyField",
    "NotifyOperation",
    "OperationsSettings",
    "RetrySettings",
    "SearchOperation",
    "TimeoutSettings",
    "UpstreamSettings",
    "UsersOperation",
    "ViewerOperation",
]


class TimeoutSettings(Model):
    connect: float = Field(2.0, gt=0)
    read: float = Field(5.0, gt=0)  # between two reads, not for the whole answer
    write: float = Field(5.0, gt=0)
    pool: float = Field(2.0, gt=0)
    total: float | None = Field(None, gt=0, le=600)


class RetrySettings(Model):
    attempts: int = Field(3, ge=1, le=10)
    backoff_initial: float = Field(0.05, ge=0)
    backoff_max: float = Field(1.0, ge=0)
    # Each first attempt earns `budget_ratio` retries; a retry spends one. The bucket holds at
    # most `budget_reserve`, so a failing site sees at most (1 + ratio) x its normal load.
    budget_ratio: float = Field(0.2, ge=0, le=1)
    budget_reserve: float = Field(10.0, ge=0)


class BreakerSettings(Model):
    failure_threshold: int = Field(5, gt=0)
    recovery_seconds: float = Field(10.0, gt=0)


class BatchSettings(Model):
    strategy: Literal["list", "alias"] = "list"
    size: int = Field(100, gt=0, le=1000)


class GlobalIdSettings(Model):
    """Sites that fetch users only by a global id: how a chat id becomes one, and back.

    relay: base64("<type>:<id>") (graphql-relay, Graphene, Saleor, WPGraphQL's `id`);
    postgraphile: base64('["<type>",<id>]') with the table's name as `type` (its `nodeId`);
    template: `template` with `{id}` in it, such as "gid://shopify/Customer/{id}".
    """

    encoding: Literal["relay", "postgraphile", "template"]
    type: str | None = Field(None, min_length=1, max_length=200)
    template: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> GlobalIdSettings:
        if self.encoding == "template":
            if self.template is None or self.template.count("{id}") != 1:
                raise ValueError("encoding template needs `template` holding {id} exactly once")
            if self.type is not None:
                raise ValueError("encoding template takes no `type`: write it into the template")
        else:
            if self.type is None:
                raise ValueError(f"encoding {self.encoding} needs `type` (e.g. User, or a table)")
            if self.template is not None:
                raise ValueError(f"encoding {self.encoding} takes no `template`")
        return self


class UsersOperation(Model):
    document: Path = Path("resolvers/users.graphql")
    ids_variable: str | None = None
    result_path: str | None = None
    variables: dict[str, JsonValue] = {}


class SearchOperation(Model):
    document: Path = Path("resolvers/search.graphql")
    query_variable: str | None = None
    result_path: str | None = None
    variables: dict[str, JsonValue] = {}
    min_length: int = Field(1, ge=1)
    max_length: int = Field(64, ge=1, le=1000)


class LoginOperation(Model):
    document: Path = Path("resolvers/login.graphql")
    username_variable: str = "username"
    password_variable: str = "password"  # noqa: S105 - a variable name
    # Where the signed-in user object is; null there means the login was refused.
    result_path: str = "login.user"


class FriendsOperation(Model):
    document: Path = Path("resolvers/friends.graphql")
    user_variable: str | None = None
    result_path: str | None = None
    variables: dict[str, JsonValue] = {}
    max_friends: int = Field(500, ge=1, le=5000)


NotifyField = Literal["title", "body", "email_to", "user_id"]


class NotifyOperation(Model):
    document: Path = Path("resolvers/notify.graphql")
    variables: dict[str, NotifyField] = {
        "title": "title",
        "body": "body",
        "emailTo": "email_to",
        "userId": "user_id",
    }
    # Constant values for the mutation's other variables.
    constants: dict[str, JsonValue] = {}
    # Where the site says whether it took the notification (true); false or null: refused.
    result_path: str | None = None
    max_title_length: int = Field(200, ge=1, le=10000)
    max_body_length: int = Field(4000, ge=1, le=100000)

    @model_validator(mode="after")
    def _names_a_recipient(self) -> NotifyOperation:
        if not {"email_to", "user_id"} & set(self.variables.values()):
            raise ValueError(
                "variables must pass email_to or user_id: the notification's recipient"
            )
        overlap = set(self.variables) & set(self.constants)
        if overlap:
            raise ValueError(f"variables and constants both set {', '.join(sorted(overlap))}")
        return self


class ViewerOperation(Model):
    document: Path = Path("resolvers/viewer.graphql")
    result_path: str | None = None


class OperationsSettings(Model):
    users: UsersOperation = UsersOperation()
    search: SearchOperation | None = None
    login: LoginOperation | None = None
    viewer: ViewerOperation | None = None
    friends: FriendsOperation | None = None
    notify: NotifyOperation | None = None


class UpstreamSettings(Model):
    url: str | None = None
    embedded_demo: bool = False
    headers: dict[str, SecretStr] = {}
    timeouts: TimeoutSettings = TimeoutSettings()
    max_concurrency: int = Field(8, gt=0, le=1000)
    max_response_bytes: int = Field(16 * 1024 * 1024, gt=0)
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()
    batch: BatchSettings = BatchSettings()
    # Unset: ids are sent to the site as the chat gives them.
    global_id: GlobalIdSettings | None = None
    operations: OperationsSettings = OperationsSettings()

    def total_deadline(self) -> float:
        """`timeouts.total`, or: each attempt's connect and read time, plus the backoffs between."""
        if self.timeouts.total is not None:
            return self.timeouts.total
        attempts = self.retry.attempts
        per_attempt = self.timeouts.connect + self.timeouts.read
        return attempts * per_attempt + (attempts - 1) * self.retry.backoff_max

    @model_validator(mode="after")
    def _has_target(self) -> UpstreamSettings:
        if self.url is None and not self.embedded_demo:
            raise ValueError("set `url` (the site's GraphQL endpoint) or `embedded_demo: true`")
        if self.url is not None and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError(f"url must be an http(s) URL, got {self.url!r}")
        return self
