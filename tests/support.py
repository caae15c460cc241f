"""What most tests need: the reference settings, in-process requests, the metrics an app counted.

Plain helpers only; the fixtures built on them are in tests/conftest.py, the servers the suite
starts in tests/servers.py, the cache test doubles in tests/caches.py.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import jwt
import yaml
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from adapter.config import Settings, TokenSettings, settings_from_mapping
from adapter.metrics import Metrics
from adapter.tokens import require_numeric_dates, signing_key

__all__ = [
    "CHAT_AUTH",
    "NO_TOKEN_API",
    "REFERENCE_CONFIG",
    "ROOT",
    "SettingsFactory",
    "asgi_client",
    "assert_error_shape",
    "deep_merge",
    "gql",
    "reference_data",
    "remote",
    "sample",
    "settings_from",
]

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_CONFIG = ROOT / "config.yaml"
CHAT_AUTH = ("root", "abc")

# What the settings fixtures hand a test: overrides (and environment variables) in, Settings out.
SettingsFactory = Callable[..., Settings]


# --- settings ------------------------------------------------------------------------------------


# Overrides that switch the token API off (`chat.ids.type: str` needs it off).
NO_TOKEN_API: dict[str, Any] = {"graphql": None, "tokens": None, "viewer": None}


def deep_merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` merged in, nested mappings merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def reference_data(*, feed: bool = False) -> dict[str, Any]:
    """The reference config.yaml as data; its change feed only with `feed`: a feed marks cached
    copies stale and rewrites them in the background, which a test counting the site's requests
    does not expect (the feed's own tests ask for it)."""
    data = copy.deepcopy(_parsed_reference())
    if not feed:
        data.pop("feed", None)
    return data


@functools.cache
def _parsed_reference() -> dict[str, Any]:
    """config.yaml parsed once per process (pure-Python YAML costs a tenth of a second a time)."""
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    return data


def settings_from(data: Mapping[str, Any], **environ: str) -> Settings:
    """Settings from configuration data, relative paths on the repository, no env leaks."""
    return settings_from_mapping(dict(data), environ=environ, base_dir=ROOT)


def remote(url: str, **upstream: Any) -> dict[str, Any]:
    """Overrides that point the upstream at the site `url` (not the embedded demo), no retry waits.

    `upstream` is merged into the upstream section (`retry={"attempts": 1}`, `timeouts=...`).
    """
    section = {
        "embedded_demo": False,
        "url": url,
        "retry": {"backoff_initial": 0, "backoff_max": 0},
    }
    return {"upstream": deep_merge(section, upstream)}


# --- requests ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def asgi_client(
    app: ASGIApp, *, base_url: str = "http://adapter.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling `app` in-process, with its lifespan running."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    path: str = "/graphql",
) -> dict[str, Any]:
    """POST one operation and return the decoded GraphQL answer (asserting HTTP 200)."""
    response = await client.post(
        path, json={"query": query, "variables": dict(variables or {})}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    """The chat's JSON error shape with `status`, and nothing that looks like a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "version", "error", "debug"}
    assert body["code"] == status
    assert body["version"] == 1
    assert isinstance(body["error"], str)
    assert body["error"]
    assert body["debug"] == ""
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return body


# --- metrics -------------------------------------------------------------------------------------


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    """The value of the sample `name` with `labels` on the app's registry, as /metrics shows it.

    A labelled series nothing has counted yet reads 0, as prometheus_client would start it; a
    name no metric of the registry exports is a mistake in the test and raises.
    """
    value = metrics.registry.get_sample_value(name, labels)
    if value is not None:
        return value
    exported = {
        f"{family.name}_total" if family.type == "counter" else family.name
        for family in metrics.registry.collect()
    }
    if name not in exported:
        raise KeyError(f"no metric exports {name!r}; the registry has {sorted(exported)}")
    return 0.0


def verify_widget_token(settings: TokenSettings, token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired widget token; raise `jwt.InvalidTokenError` otherwise
    (verified by PyJWT, apart from the adapter's own signing)."""
    claims: dict[str, Any] = jwt.decode(
        token, signing_key(settings), algorithms=["HS256"], options={"require": ["exp", "user_id"]}
    )
    require_numeric_dates(claims)
    user_id = claims["user_id"]
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise jwt.InvalidTokenError("user_id is not an integer")
    return claims
