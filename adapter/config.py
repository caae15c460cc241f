"""Configuration: the models and the YAML loader.

The file is read once, at start-up. Strings may use `${VAR}` and `${VAR:-default}` to take values
(secrets above all) from the environment, and any setting may be overridden by an environment
variable `IMBACHAT__SECTION__KEY=value` (the environment beats the file). Every problem is reported
with its path in the file; none of them ever reaches a client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    SecretStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from adapter.errors import ConfigError

__all__ = [
    "CONFIG_ENV_VAR",
    "BatchSettings",
    "BreakerSettings",
    "CacheSettings",
    "ChatSettings",
    "Converter",
    "CorsSettings",
    "DemoPageSettings",
    "FieldRule",
    "FieldSpec",
    "GraphQLSettings",
    "IdSettings",
    "JwtViewerSettings",
    "LimitsSettings",
    "LoggingSettings",
    "LoginOperation",
    "MappingSettings",
    "OperationsSettings",
    "ProfilesRule",
    "RateLimitSettings",
    "RedisSettings",
    "RetrySettings",
    "SearchOperation",
    "Settings",
    "TelemetrySettings",
    "TimeoutSettings",
    "TokenSettings",
    "TrustedDocumentsSettings",
    "UpstreamSettings",
    "UpstreamViewerSettings",
    "UsersOperation",
    "ViewerSettings",
    "WebhookSettings",
    "WidgetSettings",
    "env_references",
    "load_settings",
    "settings_from_mapping",
]

CONFIG_ENV_VAR = "IMBACHAT_ADAPTER_CONFIG"
OVERRIDE_PREFIX = "IMBACHAT__"


class Model(BaseModel):
    """Base of every settings model: unknown keys are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- chat-facing ------------------------------------------------------------------------------


class IdSettings(Model):
    type: Literal["int", "str"] = "int"
    separator: str = Field(",", min_length=1, max_length=4)
    max_per_call: int = Field(1000, gt=0, le=100_000)
    # Only used when type is "str": what a valid id looks like.
    str_pattern: str = r"[A-Za-z0-9_.:@-]{1,128}"

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


# --- upstream ---------------------------------------------------------------------------------


class TimeoutSettings(Model):
    connect: float = Field(2.0, gt=0)
    read: float = Field(5.0, gt=0)
    write: float = Field(5.0, gt=0)
    pool: float = Field(2.0, gt=0)


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


class UsersOperation(Model):
    document: Path = Path("resolvers/users.graphql")
    # Defaults: the operation's only variable, and the response key of its only top-level field.
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


class ViewerOperation(Model):
    document: Path = Path("resolvers/viewer.graphql")
    result_path: str | None = None


class OperationsSettings(Model):
    users: UsersOperation = UsersOperation()
    search: SearchOperation | None = None
    login: LoginOperation | None = None
    viewer: ViewerOperation | None = None


class UpstreamSettings(Model):
    url: str | None = None
    # Serve the bundled demo user API in-process and query it without a network hop.
    embedded_demo: bool = False
    headers: dict[str, SecretStr] = {}
    timeouts: TimeoutSettings = TimeoutSettings()
    max_concurrency: int = Field(8, gt=0, le=1000)
    max_response_bytes: int = Field(16 * 1024 * 1024, gt=0)
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()
    batch: BatchSettings = BatchSettings()
    operations: OperationsSettings = OperationsSettings()

    @model_validator(mode="after")
    def _has_target(self) -> UpstreamSettings:
        if self.url is None and not self.embedded_demo:
            raise ValueError("set `url` (the site's GraphQL endpoint) or `embedded_demo: true`")
        if self.url is not None and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError(f"url must be an http(s) URL, got {self.url!r}")
        return self


# --- mapping ----------------------------------------------------------------------------------

Converter = Literal[
    "unix_seconds",  # ISO-8601 text, epoch seconds or epoch milliseconds, guessed by shape
    "iso8601_to_unix",
    "epoch_ms_to_unix",
    "or_false",  # missing or empty -> false, the chat's "no avatar"
    "int",
    "float",
    "string",
    "bool",
    "lower",
    "upper",
]


class FieldRule(Model):
    """One output field: exactly one source, then optional converters, lookup and default."""

    path: str | None = None
    template: str | None = None
    const: JsonValue = None
    first_of: list[FieldSpec] | None = None
    convert: list[Converter] = []
    lookup: dict[str, JsonValue] | None = None
    default: JsonValue = None

    @field_validator("convert", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        sources = [
            s for s in ("path", "template", "const", "first_of") if s in self.model_fields_set
        ]
        if len(sources) != 1:
            raise ValueError(
                "give exactly one of path, template, const, first_of"
                + (f" (got {', '.join(sources)})" if sources else "")
            )
        return self


def _spec_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "spec:text"
    if isinstance(value, list):
        return "spec:fallbacks"
    if isinstance(value, dict | FieldRule):
        return "spec:rule"
    return None


if TYPE_CHECKING:
    FieldSpec: TypeAlias = str | list["FieldSpec"] | FieldRule
else:
    # The same union, with errors that name the intended branch instead of all three.
    FieldSpec = TypeAliasType(
        "FieldSpec",
        Annotated[
            Annotated[str, Tag("spec:text")]
            | Annotated[list["FieldSpec"], Tag("spec:fallbacks")]
            | Annotated[FieldRule, Tag("spec:rule")],
            Discriminator(
                _spec_kind,
                custom_error_type="field_spec",
                custom_error_message=(
                    "must be a path or template string, a list of fallbacks, "
                    "or a mapping with one of path, template, const, first_of"
                ),
            ),
        ],
    )


FieldRule.model_rebuild()

RESERVED_FIELDS = frozenset({"user_id", "profiles"})


class ProfilesRule(Model):
    """Sub-profiles: a list (or object) in the upstream user, each mapped by `fields`."""

    path: str
    # Path of a sub-profile's key; without it, keys are the list positions.
    key: str | None = None
    fields: dict[str, FieldSpec]

    @field_validator("fields")
    @classmethod
    def _required(cls, value: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in ("user_id", "name") if name not in value]
        if missing:
            raise ValueError(f"sub-profiles need {' and '.join(missing)}")
        return value


class MappingSettings(Model):
    # Where the upstream object's id is; matched against the requested ids.
    id: str = "id"
    fields: dict[str, FieldSpec]
    profiles: ProfilesRule | None = None

    @field_validator("fields")
    @classmethod
    def _name_present(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "name" not in value:
            raise ValueError("`name` is required: the chat cannot show a user without it")
        reserved = sorted(RESERVED_FIELDS & value.keys())
        if reserved:
            raise ValueError(
                f"{', '.join(reserved)} cannot be mapped here: user_id is always the requested id "
                "and sub-profiles go under mapping.profiles"
            )
        return value


# --- cache ------------------------------------------------------------------------------------


class RedisSettings(Model):
    url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    password: SecretStr | None = None
    socket_timeout: float = Field(0.25, gt=0)
    connect_timeout: float = Field(0.5, gt=0)
    max_connections: int = Field(64, gt=0)
    # Immediate retries of a failed command (a pooled connection that Redis closed on restart).
    # redis-py's own default (10, with backoff) would hold a request for seconds when Redis is
    # down; the cache fails open instead.
    retries: int = Field(1, ge=0, le=5)


class CacheSettings(Model):
    backend: Literal["memory", "redis", "redis-cluster"] = "memory"
    prefix: str = "imbachat:"
    # A profile is served without asking the site for `fresh_seconds`, then served while it is
    # refreshed in the background for `stale_seconds` more, and from then on only when the
    # site fails (stale-if-error) until the entry expires after `keep_seconds`.
    fresh_seconds: int = Field(300, ge=0)
    stale_seconds: int = Field(3300, ge=0)
    keep_seconds: int = Field(86_400, ge=0)
    negative_seconds: int = Field(60, ge=0)
    memory_max_entries: int = Field(100_000, gt=0)
    # Small per-process layer in front of Redis for the hottest ids (0 turns it off).
    local_max_entries: int = Field(0, ge=0)
    local_seconds: float = Field(5.0, ge=0)
    # Across replicas: a short Redis lock per chunk so that only one replica refills it.
    lock_seconds: float = Field(0.0, ge=0)
    error_log_interval_seconds: float = Field(30.0, gt=0)
    retry_after_error_seconds: float = Field(2.0, ge=0)
    redis: RedisSettings = RedisSettings()

    @model_validator(mode="after")
    def _windows_ordered(self) -> CacheSettings:
        if self.keep_seconds < self.fresh_seconds + self.stale_seconds:
            raise ValueError("keep_seconds must be at least fresh_seconds + stale_seconds")
        return self


# --- web --------------------------------------------------------------------------------------


class LimitsSettings(Model):
    max_body_bytes: int = Field(64 * 1024, gt=0)
    max_url_bytes: int = Field(16 * 1024, gt=0)
    max_header_bytes: int = Field(8 * 1024, gt=0)


# --- running: logs and traces ---------------------------------------------------------------


class LoggingSettings(Model):
    level: Literal["debug", "info", "warning", "error"] = "info"
    # json: one object per line, for a log collector; console: readable, for a terminal.
    format: Literal["json", "console"] = "json"


class TelemetrySettings(Model):
    """Optional OpenTelemetry tracing; needs `pip install 'imbachat-adapter[otel]'`."""

    enabled: bool = False
    service_name: str = Field("imbachat-adapter", min_length=1)
    # otlp: OTLP over HTTP to `endpoint` (unset: the standard OTEL_EXPORTER_OTLP_* variables);
    # console: spans as JSON on stdout, for a first look.
    exporter: Literal["otlp", "console"] = "otlp"
    endpoint: str | None = None
    sample_ratio: float = Field(1.0, ge=0, le=1)


class WebhookSettings(Model):
    """`POST {chat.prefix}/webhooks/users-changed`: the site tells us which profiles changed."""

    # HMAC-SHA256 key shared with the site. Empty (the default) turns the webhook off: the
    # route is not mounted and answers 404.
    secret: SecretStr = SecretStr("")
    # A signature older or newer than this is refused (replays, badly set clocks).
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


# --- the frontend-facing GraphQL API ----------------------------------------------------------

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
    """The widget token (PROTOCOL.md section 4): HS256 over {"exp", "user_id"}."""

    # The widget's "Secret key" from imbachat.com; keep it in the environment.
    secret_key: SecretStr
    lifetime_seconds: int = Field(3600, gt=0, le=7 * 24 * 3600)
    # secret_plus_widget_id: the key is secret_key + widget_id (some deployments use this).
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

    # Request headers passed on as they came; a header the page did not send is not sent.
    forward_headers: list[str] = ["Authorization"]
    # Cookies passed on by name in one Cookie header; the page's other cookies stay here.
    forward_cookies: list[str] = []
    # Names from upstream.headers that the viewer query keeps (e.g. an API gateway key). The
    # others (a service account's token above all) never travel with a viewer's credentials.
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
    # The key set is fetched at most once per jwks_cache_seconds; an unknown key id forces a
    # refetch at most once per jwks_refresh_cooldown_seconds (so forged kids cannot hammer it).
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
    """What the page needs to load the widget (PROTOCOL.md section 5)."""

    # `{widget_id}` is replaced by chat.widget_id.
    script_url: str = "https://api.imbachat.com/imbachat/v1/{widget_id}/widget"
    language: str | None = None
    theme: Literal["default", "dark"] | None = None
    position: Literal["right", "left"] | None = None
    resizable: bool | None = None
    draggable: bool | None = None
    use_favicon_badge: bool | None = None
    update_title: bool | None = None
    # Any other init option, passed as is.
    extra_options: dict[str, JsonValue] = {}

    @field_validator("extra_options")
    @classmethod
    def _not_identity(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        if {"user_id", "token"} & value.keys():
            raise ValueError("user_id and token come from the signed-in viewer, not from here")
        return value


class CorsSettings(Model):
    # Origins of the single page apps allowed to call with credentials; no wildcard.
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
    # On: only documents whose SHA-256 is in `manifest` run (a JSON object hash -> document).
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
    # memory:// (per process) or redis://host:6379/0 (shared by every replica).
    storage_url: SecretStr = SecretStr("memory://")


class GraphQLSettings(Model):
    """The frontend-facing GraphQL API: issueChatToken, chatWidget, chatUsers."""

    path: str = "/graphql"
    graphiql: bool = False
    introspection: bool = False
    # Off: queries only over POST too (the answers carry tokens); mutations never over GET.
    queries_via_get: bool = False
    max_depth: int = Field(8, ge=1, le=100)
    max_aliases: int = Field(10, ge=0, le=1000)
    max_tokens: int = Field(1000, ge=10, le=100_000)
    max_document_bytes: int = Field(8192, ge=64)
    # Off: chatUsers answers signed-in viewers only.
    chat_users_public: bool = False
    max_chat_users: int = Field(100, gt=0, le=1000)
    # Bearer token for invalidateChatUsers; unset: the mutation refuses everyone.
    admin_token: SecretStr | None = None
    cors: CorsSettings = CorsSettings()
    trusted_documents: TrustedDocumentsSettings = TrustedDocumentsSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()

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


class DemoPageSettings(Model):
    """The example single page app and the stand-in widget script (demo only)."""

    enabled: bool = False
    path: str = "/demo"
    directory: Path = Path("examples/spa")


def _frontend_problems(settings: Settings) -> list[str]:
    if settings.graphql is None:
        return []
    problems = [
        f"graphql needs `{name}`"
        for name in ("tokens", "viewer")
        if getattr(settings, name) is None
    ]
    viewer = settings.viewer
    if viewer is not None and viewer.mode == "upstream":
        unknown = set(viewer.upstream.keep_service_headers) - set(settings.upstream.headers)
        if unknown:
            problems.append(
                "viewer.upstream.keep_service_headers: not in upstream.headers: "
                + ", ".join(sorted(unknown))
            )
    if "{widget_id}" in settings.widget.script_url and not settings.chat.widget_id:
        problems.append("widget.script_url uses {widget_id}: set chat.widget_id")
    return problems


class Settings(Model):
    chat: ChatSettings
    upstream: UpstreamSettings
    mapping: MappingSettings
    cache: CacheSettings = CacheSettings()
    limits: LimitsSettings = LimitsSettings()
    webhooks: WebhookSettings = WebhookSettings()
    logging: LoggingSettings = LoggingSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    # The frontend-facing GraphQL API (off unless `graphql` is given; it needs tokens and viewer).
    tokens: TokenSettings | None = None
    viewer: ViewerSettings | None = None
    graphql: GraphQLSettings | None = None
    widget: WidgetSettings = WidgetSettings()
    demo_page: DemoPageSettings = DemoPageSettings()
    # Where relative paths in the file (operation documents) are resolved from.
    base_dir: Path = Path(".")

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @model_validator(mode="after")
    def _frontend_complete(self) -> Settings:
        problems = _frontend_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


# --- loading ----------------------------------------------------------------------------------

_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _interpolate(value: str, path: str, environ: Mapping[str, str], problems: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        problems.append(f"{path}: environment variable {name} is not set")
        return ""

    return _ENV_REFERENCE.sub(replace, value)


def env_references(node: Any, path: str = "") -> Iterator[tuple[str, str, str | None]]:
    """Each `${NAME}` or `${NAME:-default}` in parsed configuration data: (path, NAME, default)."""
    if isinstance(node, str):
        for match in _ENV_REFERENCE.finditer(node):
            if match.group(1):
                yield path, match.group(1), match.group(2)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from env_references(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from env_references(item, f"{path}[{i}]")


def _walk(node: Any, path: str, environ: Mapping[str, str], problems: list[str]) -> Any:
    if isinstance(node, str):
        return _interpolate(node, path, environ, problems)
    if isinstance(node, dict):
        return {
            key: _walk(value, f"{path}.{key}" if path else str(key), environ, problems)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_walk(item, f"{path}[{i}]", environ, problems) for i, item in enumerate(node)]
    return node


def _apply_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, raw in sorted(environ.items()):
        if not name.startswith(OVERRIDE_PREFIX):
            continue
        keys = [part.lower() for part in name[len(OVERRIDE_PREFIX) :].split("__") if part]
        if not keys:
            continue
        target = data
        for key in keys[:-1]:
            child = target.get(key)
            if not isinstance(child, dict):
                child = {}
                target[key] = child
            target = child
        target[keys[-1]] = _override_value(raw)


def _override_value(raw: str) -> Any:
    """`7` -> 7, `true` -> True, `[a, b]` -> a list; anything else stays the text it is.

    Only explicit flow collections become lists or mappings: `prefix: "app:"` must not turn
    into a mapping because the text ends in a colon.
    """
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, dict | list) and not raw.lstrip().startswith(("[", "{")):
        return raw
    return value


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(("spec:", "function-")):
            continue  # union branch tags that pydantic puts in the location
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def _describe(error: ValidationError) -> list[str]:
    seen: dict[str, None] = {}
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        seen.setdefault(f"{_location(tuple(item['loc']))}: {message}", None)
    return list(seen)


def settings_from_mapping(
    data: Any,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path = Path("."),
    source: str = "configuration",
) -> Settings:
    """Validate already-parsed configuration data; raise ConfigError listing every problem."""
    environ = os.environ if environ is None else environ
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(["(top level): must be a mapping of sections"], source=source)
    problems: list[str] = []
    resolved: dict[str, Any] = _walk(data, "", environ, problems)
    _apply_overrides(resolved, environ)
    resolved.setdefault("base_dir", str(base_dir))
    try:
        settings = Settings.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(_describe(exc))
        raise ConfigError(problems, source=source) from None
    if problems:
        raise ConfigError(problems, source=source)
    return settings


def load_settings(path: Path | str, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, interpolate and validate a YAML configuration file."""
    path = Path(path)
    return settings_from_mapping(
        read_config_file(path), environ=environ, base_dir=path.resolve().parent, source=str(path)
    )


def read_config_file(path: Path) -> Any:
    """The file's YAML as data; ConfigError when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read the file: {exc.strerror}"], source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError([f"{where}{problem}"], source=str(path)) from None


def iter_operation_documents(settings: Settings) -> Iterator[tuple[str, Path]]:
    """Each configured operation with its resolved document path."""
    operations = settings.upstream.operations
    for name in ("users", "search", "login", "viewer"):
        operation = getattr(operations, name)
        if operation is not None:
            yield name, settings.resolve(operation.document)
