"""viewer.mode jwt with a secret: a session verified once is not verified again until it
expires; an unverified token is never remembered; keys from a JWKS are never relied on."""

from __future__ import annotations

import datetime
import time
from typing import Any

import jwt
import pytest

from adapter.config import JwtViewerSettings
from adapter.memo import Memo
from adapter.viewer import JwtViewer

SECRET = "site-session-secret-0123456789abcdef"
NOW = 1_900_000_000.0


def _settings(**overrides: Any) -> JwtViewerSettings:
    fields: dict[str, Any] = {
        "header": "Authorization",
        "algorithms": ["HS256"],
        "secret": SECRET,
        "issuer": "site",
        "audience": "imbachat",
        **overrides,
    }
    return JwtViewerSettings.model_validate(fields)


def _session(user: str = "6", *, exp: float = NOW + 60, key: str = SECRET) -> dict[str, str]:
    claims = {"sub": user, "iss": "site", "aud": "imbachat", "exp": int(exp)}
    return {"authorization": "Bearer " + jwt.encode(claims, key, algorithm="HS256")}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time both PyJWT and the viewer read, moved by the test."""
    now = [NOW]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token PyJWT is asked to verify."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


async def test_a_session_is_verified_once(clock: list[float], decodes: list[str]) -> None:
    viewer = JwtViewer(_settings())
    headers = _session()
    assert [await viewer.identify(headers) for _ in range(3)] == [6, 6, 6]
    assert len(decodes) == 1
    assert await viewer.identify(_session("7")) == 7
    assert len(decodes) == 2


async def test_a_remembered_session_still_expires(clock: list[float], decodes: list[str]) -> None:
    """`exp` is checked on every use, with the configured leeway, as PyJWT checks it: past
    it the session is forgotten and PyJWT judges it again (and refuses it, by its own clock)."""
    viewer = JwtViewer(_settings(leeway_seconds=5))
    headers = _session(exp=NOW + 10)
    assert await viewer.identify(headers) == 6
    clock[0] = NOW + 14.9
    assert await viewer.identify(headers) == 6
    assert len(decodes) == 1
    clock[0] = NOW + 15
    await viewer.identify(headers)
    assert len(decodes) == 2
    # PyJWT reads datetime.now(), not time.time(): expired by the real clock.
    expired = _session(exp=datetime.datetime.now(datetime.UTC).timestamp() - 10)
    clock[0] = 0.0  # the memo would still take it; PyJWT refuses it before it is remembered
    assert await viewer.identify(expired) is None
    assert await viewer.identify(expired) is None
    assert len(decodes) == 4


async def test_a_refused_token_is_never_remembered(clock: list[float], decodes: list[str]) -> None:
    viewer = JwtViewer(_settings())
    forged = _session(key="another-secret-0123456789abcdef0123")
    assert await viewer.identify(forged) is None
    assert await viewer.identify(forged) is None
    assert len(decodes) == 2


async def test_remembered_sessions_are_bounded(clock: list[float], decodes: list[str]) -> None:
    viewer = JwtViewer(_settings())
    assert viewer._verified is not None
    viewer._verified = Memo(max_entries=2)
    sessions = [_session(str(user)) for user in (1, 2, 3)]
    for headers in sessions:
        await viewer.identify(headers)
    assert await viewer.identify(sessions[2]) == 3  # remembered: the newest
    assert await viewer.identify(sessions[0]) == 1  # verified again: forgotten when it filled
    assert len(decodes) == 4


def test_keys_from_a_jwks_are_never_relied_on() -> None:
    """A key set can withdraw a key at any time: every token is verified against it."""
    settings = _settings(algorithms=["RS256"], secret=None, jwks_url="https://site/jwks.json")
    assert JwtViewer(settings)._verified is None
