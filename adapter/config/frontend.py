"""The frontend-facing GraphQL API: widget tokens, the viewer, the widget, CORS, limits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import (
    Field,
    JsonValue,
    SecretStr,
    field_validator,
    model_validator,
)

from adapter.config.base import Model

__all__ = [
    "CorsSettings",
    "DemoPageSettings",
    "FederationEntitySettings",
    "FederationSettings",
    "GraphQLSettings",
    "JwtViewerSettings",
    "RateLimitSettings",
    "TokenSettings",
    "TrustedDocumentsSettings",
    "UpstreamViewerSettings",
    "ViewerSettings",
    "WidgetSettings",
]

# An HMAC key shorter than the hash it keys is weak (and PyJWT warns about it).
_MIN_HMAC_KEY_BYTES = 32
_HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# Never forwarded: they describe this hop, not the viewer, or would let a page steer the request.
_UNFORWARDABLE = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "accept-encoding",
        "cookie",  # forward cookies by name with `forward_cookies`
    }
)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_ORIGIN = re.compile(r"^https?://[^\s/?#*]+$")

JwtAlgorithm = Literal[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512", "EdDSA",
]  # fmt: skip


def _hmac_key(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value().encode()) < _MIN_HMAC_KEY_BYTES:
        raise ValueError(f"must be at least {_MIN_HMAC_KEY_BYTES} bytes")
    return value


class TokenSettings(Model):
    """The widget token (docs/protocol.md section 4): HS256 over {"exp", "user_id"}."""

    secret_key: SecretStr
    lifetime_seconds: int = Field(3600, gt=0, le=7 * 24 * 3600)
    key_variant: Literal["secret", "secret_plus_widget_id"] = "secret"
    widget_id: str | None = None

    _key_length = field_validator("secret_key")(_hmac_key)

    @model_validator(mode="after")
    def _variant_complete(self) -> TokenSettings:
        if self.key_variant == "secret_plus_widget_id" and not self.widget_id:
            raise ValueError("key_variant secret_plus_widget_id needs widget_id")
        return self


def _header_names(values: list[str]) -> list[str]:
    for name in values:
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not a header name")
        if name.lower() in _UNFORWARDABLE:
            raise ValueError(f"{name!r} cannot be forwarded")
    return values


class UpstreamViewerSettings(Model):
    """viewer.mode upstream: the site's viewer query, run with the page's own credentials."""

    forward_headers: list[str] = ["Authorization"]
    # Cookies passed on by name in one Cookie header; the page's other cookies stay here. A name
    # ending in `*` passes every cookie it begins (WordPress: `wordpress_logged_in_*`).
    forward_cookies: list[str] = []
    keep_service_headers: list[str] = []

    _names = field_validator("forward_headers")(_header_names)


class JwtViewerSettings(Model):
    """viewer.mode jwt: the site's own session JWT, verified here."""

    # Where the token is: a header (with `scheme`, e.g. "Bearer <jwt>") or a cookie.
    header: str | None = None
    scheme: str | None = "Bearer"
    cookie: str | None = None
    # Always from here, never from the token. HMAC (with `secret`) and public-key algorithms
    # (with `jwks_url`) cannot be mixed: a public key must never become an HMAC secret.
    algorithms: list[JwtAlgorithm] = Field(min_length=1)
    secret: SecretStr | None = None
    jwks_url: str | None = None
    # A fetched key set is used for jwks_cache_seconds, then fetched again: a key the site
    # withdraws is accepted at most that long after the last fetch. A token naming a key id the
    # set lacks forces a refetch (which drops withdrawn keys too), at most once per
    # jwks_refresh_cooldown_seconds, so forged kids cannot hammer the site.
    jwks_cache_seconds: float = Field(300.0, gt=0)
    jwks_refresh_cooldown_seconds: float = Field(30.0, ge=0)
    jwks_timeout_seconds: float = Field(2.0, gt=0, le=30)
    issuer: str = Field(min_length=1)
    audience: str | list[str] = Field(min_length=1)
    leeway_seconds: float = Field(0.0, ge=0, le=300)
    user_id_claim: str = Field("sub", min_length=1)
    max_token_bytes: int = Field(8192, gt=0)

    _key_length = field_validator("secret")(_hmac_key)

    @model_validator(mode="after")
    def _consistent(self) -> JwtViewerSettings:
        if (self.header is None) == (self.cookie is None):
            raise ValueError("set exactly one of `header` and `cookie`: where the token is")
        hmac_algorithms = _HMAC_ALGORITHMS.intersection(self.algorithms)
        if hmac_algorithms and len(hmac_algorithms) != len(set(self.algorithms)):
            raise ValueError("HMAC (HS*) and public-key algorithms cannot be mixed")
        if hmac_algorithms and (self.secret is None or self.jwks_url is not None):
            raise ValueError("HS* algorithms need `secret` (and no jwks_url)")
        if not hmac_algorithms and (self.jwks_url is None or self.secret is not None):
            raise ValueError("public-key algorithms need `jwks_url` (and no secret)")
        if self.jwks_url is not None and not re.match(r"^https?://[^\s/]+", self.jwks_url):
            raise ValueError(f"jwks_url must be an http(s) URL, got {self.jwks_url!r}")
        return self


class ViewerSettings(Model):
    """Who is asking for a widget token: the site says so, never the caller."""

    mode: Literal["upstream", "jwt"] = "upstream"
    upstream: UpstreamViewerSettings = UpstreamViewerSettings()
    jwt: JwtViewerSettings | None = None

    @model_validator(mode="after")
    def _mode_configured(self) -> ViewerSettings:
        if self.mode == "jwt" and self.jwt is None:
            raise ValueError("mode jwt needs the `jwt` section")
        return self


class WidgetSettings(Model):
    """What the page needs to load the widget (docs/protocol.md section 5)."""

    script_url: str = "https://api.imbachat.com/imbachat/v1/{widget_id}/widget"
    options: dict[str, JsonValue] = {}

    @field_validator("options")
    @classmethod
    def _not_identity(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        if {"user_id", "token"} & value.keys():
            raise ValueError("user_id and token come from the signed-in viewer, not from here")
        return value


class CorsSettings(Model):
    allowed_origins: list[str] = []
    max_age_seconds: int = Field(600, ge=0, le=86_400)

    @field_validator("allowed_origins")
    @classmethod
    def _exact_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://app.example.com "
                    "(no wildcard, path or trailing slash: credentials are allowed)"
                )
        return value


class TrustedDocumentsSettings(Model):
    enabled: bool = False
    manifest: Path | None = None

    @model_validator(mode="after")
    def _has_manifest(self) -> TrustedDocumentsSettings:
        if self.enabled and self.manifest is None:
            raise ValueError("enabled needs `manifest`")
        return self


class RateLimitSettings(Model):
    # Token requests allowed, in the `limits` notation ("10/minute", "5/second;100/hour").
    per_viewer: str = "20/minute"
    per_ip: str = "60/minute"
    storage_url: SecretStr = SecretStr("memory://")

    @field_validator("per_viewer", "per_ip")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '10/minute'") from None
        return value

    @field_validator("storage_url")
    @classmethod
    def _a_storage(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url != "memory://" and not url.startswith(("redis://", "rediss://")):
            raise ValueError("use memory:// or redis://host:6379/0")
        return value


_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")


def _graphql_name(value: str) -> str:
    if not _GRAPHQL_NAME.match(value) or value.startswith("__"):
        raise ValueError(f"{value!r} is not a GraphQL name")
    return value


class FederationEntitySettings(Model):
    """The site's user entity, extended with the chat-facing profile (`chatProfile`)."""

    # The entity as the site's subgraph declares it: `type User @key(fields: "id")`.
    type_name: str = "User"
    key_field: str = "id"
    key_type: Literal["ID", "Int", "String"] = "ID"
    # The field this subgraph adds to it: the same profile as chatUsers.
    field: str = "chatProfile"

    _names = field_validator("type_name", "key_field", "field")(_graphql_name)


FederationVersion = Literal[
    "auto", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11"
]


class FederationSettings(Model):
    """The API as a federation-2 subgraph (`_service { sdl }`, `@key`, `_entities`)."""

    enabled: bool = False
    prefix: str = ""
    # The site's user entity to extend; unset: no entity, only the root fields.
    entity: FederationEntitySettings | None = None
    version: FederationVersion = "auto"

    @field_validator("prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if value and not re.match(r"^[a-z][A-Za-z0-9]*$", value):
            raise ValueError("must be a lower-case letter, then letters and digits (e.g. imba)")
        return value


class GraphQLSettings(Model):
    """The frontend-facing GraphQL API: issueChatToken, chatWidget, chatUsers."""

    path: str = "/graphql"
    graphiql: bool = False
    introspection: bool = False
    queries_via_get: bool = False
    max_depth: int = Field(8, ge=1, le=100)
    max_aliases: int = Field(10, ge=0, le=1000)
    # Fields a document selects, each fragment counted every time it is spread; also the
    # bound on pairs of same-named fields the overlap rule compares (web/graphql/cost.py).
    max_fields: int = Field(500, ge=1, le=100_000)
    max_tokens: int = Field(1000, ge=10, le=100_000)
    max_document_bytes: int = Field(8192, ge=64)
    chat_users_public: bool = False
    max_chat_users: int = Field(100, gt=0, le=1000)
    admin_token: SecretStr | None = None
    cors: CorsSettings = CorsSettings()
    trusted_documents: TrustedDocumentsSettings = TrustedDocumentsSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    federation: FederationSettings = FederationSettings()

    _admin_token_length = field_validator("admin_token")(_hmac_key)

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `${IMBACHAT_ADMIN_TOKEN:-}` in the file: no token, the admin mutation is off.
        return None if value == "" else value

    @field_validator("path")
    @classmethod
    def _path_shape(cls, value: str) -> str:
        if not re.match(r"^/[A-Za-z0-9._~/-]*[^/]$", value):
            raise ValueError("must start with '/' and not end with '/'")
        return value

    @model_validator(mode="after")
    def _gateway_plans_are_not_listed(self) -> GraphQLSettings:
        # A gateway sends the documents its query planner writes, which no manifest can list.
        if self.federation.enabled and self.trusted_documents.enabled:
            raise ValueError(
                "federation.enabled and trusted_documents.enabled cannot both be on: a gateway "
                "sends its own query plans; enforce persisted documents at the gateway"
            )
        return self


class DemoPageSettings(Model):
    """The example single page app and the stand-in widget script (demo only)."""

    enabled: bool = False
    path: str = "/demo"
    directory: Path = Path("examples/spa")
