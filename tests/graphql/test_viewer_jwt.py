"""viewer.mode jwt: the site's session JWT, verified with configured algorithms and keys only.

The site's key set is served by the test on a loopback port, as a site would serve its JWKS.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapter.app import create_app
from adapter.config import CorsSettings
from tests.graphql.support import ISSUE, error_code
from tests.servers import LiveServer, refused_port
from tests.support import SettingsFactory, asgi_client, gql

ISSUER = "https://site.example"
AUDIENCE = "imbachat"
HS_SECRET = "site-session-secret-0123456789abcdef"


@dataclass(frozen=True)
class Keys:
    site_rsa: rsa.RSAPrivateKey
    site_ec: ec.EllipticCurvePrivateKey
    attacker: rsa.RSAPrivateKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    """The site's RSA and EC signing keys, and an attacker's RSA key."""
    return Keys(
        site_rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        site_ec=ec.generate_private_key(ec.SECP256R1()),
        attacker=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    algorithm: Any = jwt.algorithms.RSAAlgorithm
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = jwt.algorithms.ECAlgorithm
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


@dataclass
class KeySite:
    """A JWKS endpoint on a real port that counts how often it is fetched."""

    keys: list[dict[str, Any]]
    fetches: int = 0
    url: str = ""
    status: int = 200

    async def jwks(self, request: Request) -> JSONResponse:
        self.fetches += 1
        return JSONResponse({"keys": self.keys}, status_code=self.status)


def serve_keys(live_server: Callable[[Any], LiveServer], jwks: list[dict[str, Any]]) -> KeySite:
    site = KeySite(jwks)
    app = Starlette(routes=[Route("/jwks.json", site.jwks)])
    site.url = f"{live_server(app).url}/jwks.json"
    return site


@pytest.fixture
def key_site(keys: Keys, live_server: Callable[[Any], LiveServer]) -> KeySite:
    """The site's JWKS with its RSA (kid rsa-1) and EC (kid ec-1) public keys."""
    return serve_keys(
        live_server, [public_jwk(keys.site_rsa, "rsa-1"), public_jwk(keys.site_ec, "ec-1")]
    )


def jwt_settings(make_settings: SettingsFactory, **section: Any) -> Any:
    base = {
        "header": "Authorization",
        "algorithms": ["RS256", "ES256"],
        "issuer": ISSUER,
        "audience": AUDIENCE,
    }
    return make_settings({"viewer": {"mode": "jwt", "jwt": {**base, **section}}})


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "6", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def issue_all(settings: Any, tokens: list[str], *, scheme: str = "Bearer") -> list[Any]:
    async with asgi_client(create_app(settings)) as client:
        return [
            await gql(client, ISSUE, headers={"Authorization": f"{scheme} {token}"})
            for token in tokens
        ]


def user_ids(answers: list[dict[str, Any]]) -> list[int | str]:
    # userId is a GraphQL ID (a string); read back as the integer the token carries.
    return [
        int(a["data"]["issueChatToken"]["userId"]) if a["data"] else error_code(a) for a in answers
    ]


async def test_rs256_and_es256_tokens_from_the_site(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """Valid RS256 and ES256 tokens identify their subject; the key set is fetched once."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url)
    tokens = [
        jwt.encode(claims(), keys.site_rsa, algorithm="RS256", headers={"kid": "rsa-1"}),
        jwt.encode(claims(sub="7"), keys.site_ec, algorithm="ES256", headers={"kid": "ec-1"}),
        jwt.encode(claims(sub=8), keys.site_rsa, algorithm="RS256", headers={"kid": "rsa-1"}),
    ]
    assert user_ids(await issue_all(settings, tokens)) == [6, 7, 8]
    assert key_site.fetches == 1


def forged_tokens(keys: Keys) -> dict[str, str]:
    """Each attack on the site's JWT, as a token."""
    public_pem = keys.site_rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header_none = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "rsa-1"}).encode())
    body = b64(json.dumps(claims()).encode())
    # HS256 "signed" with the site's public key: the classic key-confusion attack.
    confused_header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    confused_sig = hmac.new(public_pem, f"{confused_header}.{body}".encode(), hashlib.sha256)
    attacker_jwk = public_jwk(keys.attacker, "rsa-1")
    rsa_1 = {"kid": "rsa-1"}
    return {
        "alg none": f"{header_none}.{body}.",
        "HS256 with the public key": f"{confused_header}.{body}.{b64(confused_sig.digest())}",
        "attacker key, site kid": jwt.encode(claims(), keys.attacker, "RS256", headers=rsa_1),
        "embedded jwk": jwt.encode(
            claims(), keys.attacker, "RS256", headers={**rsa_1, "jwk": attacker_jwk}
        ),
        "expired": jwt.encode(
            claims(exp=int(time.time()) - 60), keys.site_rsa, "RS256", headers=rsa_1
        ),
        "wrong audience": jwt.encode(
            claims(aud="other-app"), keys.site_rsa, "RS256", headers=rsa_1
        ),
        "wrong issuer": jwt.encode(
            claims(iss="https://evil"), keys.site_rsa, "RS256", headers=rsa_1
        ),
        "no expiry": jwt.encode(claims(exp=None), keys.site_rsa, "RS256", headers=rsa_1),
        "no subject": jwt.encode(claims(sub=None), keys.site_rsa, "RS256", headers=rsa_1),
        "RS512 not configured": jwt.encode(claims(), keys.site_rsa, "RS512", headers=rsa_1),
        "tampered payload": ".".join(
            [
                (good := jwt.encode(claims(), keys.site_rsa, "RS256", headers=rsa_1)).split(".")[0],
                b64(json.dumps(claims(sub="1")).encode()),
                good.split(".")[2],
            ]
        ),
        "not a token": "definitely-not-a-jwt",
    }


async def test_forged_and_invalid_tokens_are_anonymous(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """alg none, HS/RS confusion, foreign keys, embedded keys, expired, wrong aud/iss: no token."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url)
    attacks = forged_tokens(keys)
    answers = await issue_all(settings, list(attacks.values()))
    assert dict(zip(attacks, user_ids(answers), strict=True)) == dict.fromkeys(
        attacks, "UNAUTHENTICATED"
    )


async def test_a_jku_header_is_never_followed(
    make_settings: SettingsFactory,
    keys: Keys,
    key_site: KeySite,
    live_server: Callable[[Any], LiveServer],
) -> None:
    """A token pointing at the attacker's own key set (jku) is refused; that set is never read."""
    attacker_site = serve_keys(live_server, [public_jwk(keys.attacker, "evil")])
    settings = jwt_settings(make_settings, jwks_url=key_site.url)
    token = jwt.encode(
        claims(), keys.attacker, "RS256", headers={"kid": "evil", "jku": attacker_site.url}
    )
    assert user_ids(await issue_all(settings, [token])) == ["UNAUTHENTICATED"]
    assert attacker_site.fetches == 0


async def test_unknown_key_ids_cannot_hammer_the_key_set(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """Tokens with made-up kids force at most one refetch per cooldown, not one each."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url)
    tokens = [
        jwt.encode(claims(), keys.attacker, "RS256", headers={"kid": uuid.uuid4().hex})
        for _ in range(10)
    ]
    assert set(user_ids(await issue_all(settings, tokens))) == {"UNAUTHENTICATED"}
    assert key_site.fetches <= 2


async def test_a_rotated_key_is_found_by_refetching(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """A key added after the first fetch is found by one refetch (cooldown 0)."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url, jwks_refresh_cooldown_seconds=0)
    first = jwt.encode(claims(), keys.site_rsa, "RS256", headers={"kid": "rsa-1"})
    rotated = jwt.encode(claims(sub="9"), keys.attacker, "RS256", headers={"kid": "rsa-2"})
    async with asgi_client(create_app(settings)) as client:
        one = await gql(client, ISSUE, headers={"Authorization": f"Bearer {first}"})
        key_site.keys.append(public_jwk(keys.attacker, "rsa-2"))
        two = await gql(client, ISSUE, headers={"Authorization": f"Bearer {rotated}"})
    assert user_ids([one, two]) == [6, 9]
    assert key_site.fetches == 2


async def test_a_withdrawn_key_is_refused_at_the_next_fetch_of_the_key_set(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """A key the site withdraws is accepted while the fetched set is cached, and refused as
    soon as the set is fetched again: here, forced by a token naming a key id it lacks."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url, jwks_refresh_cooldown_seconds=0)
    withdrawn = jwt.encode(claims(), keys.site_rsa, "RS256", headers={"kid": "rsa-1"})
    unknown = jwt.encode(claims(), keys.attacker, "RS256", headers={"kid": "nobody"})
    bearer = {"Authorization": f"Bearer {withdrawn}"}
    async with asgi_client(create_app(settings)) as client:
        before = await gql(client, ISSUE, headers=bearer)
        key_site.keys[:] = [public_jwk(keys.site_ec, "ec-1")]
        cached = await gql(client, ISSUE, headers=bearer)
        forced = await gql(client, ISSUE, headers={"Authorization": f"Bearer {unknown}"})
        after = await gql(client, ISSUE, headers=bearer)
    assert user_ids([before, cached, forced, after]) == [6, 6, *["UNAUTHENTICATED"] * 2]
    assert key_site.fetches == 3  # the first; forced by "nobody"; by "rsa-1", now unknown


async def test_a_withdrawn_key_is_refused_once_the_cached_key_set_expires(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """However quiet the traffic, a withdrawn key is refused once jwks_cache_seconds have
    passed since the set was fetched: the set is fetched again before any token is checked."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url, jwks_cache_seconds=0.5)
    withdrawn = jwt.encode(claims(), keys.site_rsa, "RS256", headers={"kid": "rsa-1"})
    bearer = {"Authorization": f"Bearer {withdrawn}"}
    async with asgi_client(create_app(settings)) as client:
        before = await gql(client, ISSUE, headers=bearer)
        key_site.keys[:] = [public_jwk(keys.site_ec, "ec-1")]
        await asyncio.sleep(1.0)  # past jwks_cache_seconds, with margin
        after = await gql(client, ISSUE, headers=bearer)
    assert user_ids([before, after]) == [6, "UNAUTHENTICATED"]
    assert key_site.fetches == 2


async def test_an_expired_key_set_that_cannot_be_fetched_is_not_used(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """Once jwks_cache_seconds have passed, a key set the site cannot serve is not replaced by
    the old one: the token is refused with UPSTREAM_UNAVAILABLE."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url, jwks_cache_seconds=0.5)
    token = jwt.encode(claims(), keys.site_rsa, "RS256", headers={"kid": "rsa-1"})
    bearer = {"Authorization": f"Bearer {token}"}
    async with asgi_client(create_app(settings)) as client:
        before = await gql(client, ISSUE, headers=bearer)
        key_site.status = 503
        await asyncio.sleep(1.0)  # past jwks_cache_seconds, with margin
        after = await gql(client, ISSUE, headers=bearer)
    assert user_ids([before, after]) == [6, "UPSTREAM_UNAVAILABLE"]


async def test_leeway_accepts_a_slightly_expired_token(
    make_settings: SettingsFactory, keys: Keys, key_site: KeySite
) -> None:
    """A token expired less than leeway_seconds ago still identifies its subject."""
    settings = jwt_settings(make_settings, jwks_url=key_site.url, leeway_seconds=120)
    token = jwt.encode(
        claims(exp=int(time.time()) - 30), keys.site_rsa, "RS256", headers={"kid": "rsa-1"}
    )
    assert user_ids(await issue_all(settings, [token])) == [6]


async def test_an_unreachable_key_set_is_an_upstream_error(
    make_settings: SettingsFactory, keys: Keys
) -> None:
    """When the key set cannot be fetched the answer says so, rather than 'not signed in'."""
    settings = jwt_settings(make_settings, jwks_url=f"http://127.0.0.1:{refused_port()}/jwks.json")
    token = jwt.encode(claims(), keys.site_rsa, "RS256", headers={"kid": "rsa-1"})
    assert user_ids(await issue_all(settings, [token])) == ["UPSTREAM_UNAVAILABLE"]


async def test_hs256_mode(make_settings: SettingsFactory, keys: Keys) -> None:
    """With an HMAC secret: the site's tokens pass; other secrets and RS256 tokens do not."""
    settings = jwt_settings(make_settings, algorithms=["HS256"], secret=HS_SECRET)
    tokens = [
        jwt.encode(claims(), HS_SECRET, "HS256"),
        jwt.encode(claims(), "another-secret-of-enough-length-0123456789", "HS256"),
        jwt.encode(claims(), keys.site_rsa, "RS256"),
    ]
    assert user_ids(await issue_all(settings, tokens)) == [6, "UNAUTHENTICATED", "UNAUTHENTICATED"]


async def test_token_from_a_cookie_and_a_custom_claim(make_settings: SettingsFactory) -> None:
    """The token may come from a cookie and the id from any configured claim."""
    settings = jwt_settings(
        make_settings,
        header=None,
        cookie="site_jwt",
        algorithms=["HS256"],
        secret=HS_SECRET,
        user_id_claim="uid",
    )
    token = jwt.encode(claims(uid=12), HS_SECRET, "HS256")
    async with asgi_client(create_app(settings)) as client:
        body = await gql(client, ISSUE, headers={"Cookie": f"a=b; site_jwt={token}"})
        missing = await gql(client, ISSUE, headers={"Authorization": f"Bearer {token}"})
    assert user_ids([body, missing]) == [12, "UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        ("abc", "VIEWER_ID_INVALID"),
        (True, "VIEWER_ID_INVALID"),
        ("0012", 12),
        (-1, "VIEWER_ID_INVALID"),
        ("-1", "VIEWER_ID_INVALID"),
        (10**30, "VIEWER_ID_INVALID"),
        (2**63, "VIEWER_ID_INVALID"),
        (" 12", "VIEWER_ID_INVALID"),
        (2**63 - 1, 2**63 - 1),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
async def test_the_id_claim_must_be_an_integer(
    make_settings: SettingsFactory, sub: Any, expected: int | str
) -> None:
    """A signed id outside the chat's range 0..2**63-1 is VIEWER_ID_INVALID, never a guessed id."""
    settings = jwt_settings(make_settings, algorithms=["HS256"], secret=HS_SECRET)
    token = jwt.encode(claims(sub=sub), HS_SECRET, "HS256")
    assert user_ids(await issue_all(settings, [token])) == [expected]


async def test_scheme_and_size_are_checked(make_settings: SettingsFactory) -> None:
    """Another scheme than the configured one, or an oversized token, is anonymous."""
    settings = jwt_settings(
        make_settings, algorithms=["HS256"], secret=HS_SECRET, max_token_bytes=300
    )
    good = jwt.encode(claims(), HS_SECRET, "HS256")
    big = jwt.encode(claims(pad="x" * 400), HS_SECRET, "HS256")
    answers = await issue_all(settings, [good], scheme="Token")
    answers += await issue_all(settings, [big])
    answers += await issue_all(settings, [""], scheme="Bearer")
    assert user_ids(answers) == ["UNAUTHENTICATED"] * 3


async def test_header_without_scheme_and_missing_header(make_settings: SettingsFactory) -> None:
    """A custom header may carry the bare token; a request without it is anonymous."""
    settings = jwt_settings(
        make_settings, header="X-Site-Token", scheme=None, algorithms=["HS256"], secret=HS_SECRET
    )
    spa = "https://app.example.com"
    settings = settings.model_copy(
        update={
            "graphql": settings.graphql.model_copy(
                update={"cors": CorsSettings(allowed_origins=[spa])}
            )
        }
    )
    token = jwt.encode(claims(), HS_SECRET, "HS256")
    async with asgi_client(create_app(settings)) as client:
        bare = await gql(client, ISSUE, headers={"X-Site-Token": token})
        missing = await gql(client, ISSUE)
        preflight = await client.options(
            "/graphql",
            headers={
                "Origin": spa,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-site-token",
            },
        )
    assert user_ids([bare, missing]) == [6, "UNAUTHENTICATED"]
    # A page on another origin may send the header that carries the token.
    assert "x-site-token" in preflight.headers["access-control-allow-headers"].lower()
