"""The frontend API's settings: what a YAML file may say, and the clear errors for the rest."""

from __future__ import annotations

from typing import Any

import pytest

from adapter.app import create_app
from adapter.config import load_settings
from adapter.errors import ConfigError
from tests.support import ROOT, SettingsFactory, reference_data, settings_from

SECRET = "s" * 32
JWT_BASE: dict[str, Any] = {"header": "Authorization", "issuer": "https://site", "audience": "chat"}


def problems(make_settings: SettingsFactory, overrides: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        make_settings(overrides)
    return "\n".join(caught.value.problems)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"tokens": {"secret_key": "short"}}, "tokens.secret_key: must be at least 32 bytes"),
        ({"tokens": {"key_variant": "secret_plus_widget_id"}}, "needs widget_id"),
        ({"tokens": {"lifetime_seconds": 0}}, "tokens.lifetime_seconds"),
        ({"graphql": {"cors": {"allowed_origins": ["*"]}}}, "no wildcard"),
        ({"graphql": {"cors": {"allowed_origins": ["https://a.example/"]}}}, "is not an origin"),
        ({"graphql": {"path": "graphql/"}}, "graphql.path: must start with '/'"),
        ({"graphql": {"admin_token": "short"}}, "graphql.admin_token: must be at least 32"),
        ({"graphql": {"trusted_documents": {"enabled": True, "manifest": None}}}, "manifest"),
        ({"viewer": {"upstream": {"forward_headers": ["Host"]}}}, "'Host' cannot be forwarded"),
        ({"viewer": {"upstream": {"forward_headers": ["Cookie"]}}}, "cannot be forwarded"),
        ({"viewer": {"upstream": {"forward_headers": ["a b"]}}}, "is not a header name"),
        ({"viewer": {"upstream": {"keep_service_headers": ["X-Nope"]}}}, "X-Nope"),
        ({"viewer": {"mode": "jwt"}}, "mode jwt needs the `jwt` section"),
        ({"widget": {"options": {"token": "x"}}}, "come from the signed-in viewer"),
        (
            {"chat": {"widget_id": None}, "widget": {"script_url": "https://w/{widget_id}"}},
            "set chat.widget_id",
        ),
    ],
)
def test_invalid_frontend_settings(
    make_settings: SettingsFactory, overrides: dict[str, Any], expected: str
) -> None:
    """Each impossible or unsafe setting is refused at start-up with its path in the message."""
    assert expected in problems(make_settings, overrides)


@pytest.mark.parametrize(
    ("jwt", "expected"),
    [
        ({"algorithms": ["HS256", "RS256"], "secret": SECRET}, "cannot be mixed"),
        ({"algorithms": ["HS256"]}, "HS* algorithms need `secret`"),
        ({"algorithms": ["HS256"], "secret": SECRET, "jwks_url": "http://k"}, "need `secret`"),
        ({"algorithms": ["RS256"]}, "public-key algorithms need `jwks_url`"),
        ({"algorithms": ["RS256"], "jwks_url": "ftp://k"}, "must be an http(s) URL"),
        ({"algorithms": ["none"], "secret": SECRET}, "algorithms"),
        ({"algorithms": []}, "algorithms"),
        ({"algorithms": ["HS256"], "secret": "short"}, "at least 32 bytes"),
        ({"algorithms": ["HS256"], "secret": SECRET, "cookie": "s"}, "exactly one of"),
    ],
)
def test_invalid_jwt_viewer_settings(
    make_settings: SettingsFactory, jwt: dict[str, Any], expected: str
) -> None:
    """Algorithms come from configuration alone, never mixing HMAC with public keys."""
    section = {**JWT_BASE, **jwt}
    assert expected in problems(make_settings, {"viewer": {"mode": "jwt", "jwt": section}})


def without(*sections: str) -> dict[str, Any]:
    """The reference configuration without some top-level sections."""
    return {k: v for k, v in reference_data().items() if k not in sections}


def test_graphql_needs_tokens_and_viewer() -> None:
    """The API cannot be on without a token secret and a way to tell who is asking."""
    with pytest.raises(ConfigError) as caught:
        settings_from(without("tokens", "viewer"))
    assert "graphql needs `tokens`; graphql needs `viewer`" in caught.value.problems[0]


def test_existing_configs_without_the_sections_still_load() -> None:
    """A configuration written before the GraphQL API loads, and serves no /graphql."""
    sections = ("tokens", "viewer", "graphql", "widget", "demo_page")
    bare = settings_from(without(*sections))
    assert bare.graphql is None
    app = create_app(bare)
    assert all(getattr(route, "path", "") != "/graphql" for route in app.routes)


def test_empty_admin_token_means_off(make_settings: SettingsFactory) -> None:
    """`admin_token: ${IMBACHAT_ADMIN_TOKEN:-}` with the variable unset is no token at all."""
    settings = make_settings()
    assert settings.graphql is not None
    assert settings.graphql.admin_token is None
    token = make_settings(IMBACHAT_ADMIN_TOKEN="t" * 32).graphql
    assert token is not None
    assert token.admin_token is not None


@pytest.mark.parametrize(
    ("rate_limit", "expected"),
    [
        ({"per_viewer": "lots"}, "graphql.rate_limit.per_viewer"),
        ({"per_ip": "5 per fortnight"}, "graphql.rate_limit.per_ip"),
        ({"storage_url": "memcached://x"}, "graphql.rate_limit.storage_url"),
    ],
)
def test_unusable_rate_limits_are_refused(
    make_settings: SettingsFactory, rate_limit: dict[str, str], expected: str
) -> None:
    """A budget or storage the limiter cannot use is refused by the settings, naming it."""
    with pytest.raises(ConfigError, match=expected):
        make_settings({"graphql": {"rate_limit": rate_limit}})


def test_missing_viewer_document_fails_at_start(make_settings: SettingsFactory) -> None:
    """viewer.mode upstream with no readable viewer document stops create_app."""
    settings = make_settings(
        {"upstream": {"operations": {"viewer": {"document": "resolvers/nope.graphql"}}}}
    )
    with pytest.raises(ConfigError, match=r"nope\.graphql: cannot read"):
        create_app(settings)


def test_missing_demo_page_folder_fails_at_start(make_settings: SettingsFactory) -> None:
    """An enabled demo page whose folder does not exist stops create_app."""
    settings = make_settings({"demo_page": {"directory": "examples/nowhere"}})
    with pytest.raises(ConfigError, match=r"demo_page\.directory"):
        create_app(settings)


PRODUCTION_ENV = {
    "SITE_GRAPHQL_URL": "https://www.example.com/graphql",
    "IMBACHAT_API_LOGIN": "login",
    "IMBACHAT_API_PASSWORD": "password",
    "IMBACHAT_WIDGET_ID": "w1",
    "IMBACHAT_SECRET_KEY": "k" * 64,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_the_production_example_is_locked_down() -> None:
    """examples/config.production.yaml loads and builds, with introspection and GraphiQL off
    and trusted documents on."""
    settings = load_settings(ROOT / "examples" / "config.production.yaml", environ=PRODUCTION_ENV)
    graphql = settings.graphql
    assert graphql is not None
    assert (graphql.introspection, graphql.graphiql) == (False, False)
    assert graphql.trusted_documents.enabled
    assert settings.widget.script_url.startswith("https://api.imbachat.com/")
    create_app(settings)


def test_the_production_example_needs_its_secrets() -> None:
    """Without the secret key in the environment the production example does not start."""
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != "IMBACHAT_SECRET_KEY"}
    with pytest.raises(ConfigError, match="IMBACHAT_SECRET_KEY is not set"):
        load_settings(ROOT / "examples" / "config.production.yaml", environ=environ)
