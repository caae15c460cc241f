"""Widget tokens: byte-compatible with the vendor's PHP getJWT, and verified strictly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess

import jwt
import pytest

from adapter.config import TokenSettings
from adapter.tokens import IssuedToken, signing_key, widget_token
from tests.support import verify_widget_token

# The vendor's sample key from its integration notes.
VENDOR_KEY = "lPXBFPqNg3f661JcegBY0N0dPXqUBdHXqj2cHf04PZgLHxT6z55e20ozojvMRvB8"
NOW = 1_700_000_000


def b64url(data: bytes) -> str:
    """PHP's str_replace(['+','/','='], ['-','_',''], base64_encode($data))."""
    return base64.b64encode(data).decode().replace("+", "-").replace("/", "_").replace("=", "")


def php_get_jwt(user_id: int, key: str, exp: int) -> str:
    """The vendor's getJWT re-derived with hmac and base64, for a fixed exp."""
    header = b64url(b'{"typ":"JWT","alg":"HS256"}')
    payload = b64url(json.dumps({"exp": exp, "user_id": user_id}, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


@pytest.mark.parametrize(("user_id", "ttl"), [(1, 3600), (6, 25200), (2**40, 60)])
def test_token_is_byte_identical_to_vendor_get_jwt(user_id: int, ttl: int) -> None:
    """For a fixed clock the token equals the vendor's PHP getJWT output byte for byte."""
    settings = TokenSettings(secret_key=VENDOR_KEY, lifetime_seconds=ttl)
    issued = widget_token(settings, user_id, now=NOW)
    assert issued == IssuedToken(php_get_jwt(user_id, VENDOR_KEY, NOW + ttl), user_id, NOW + ttl)


@pytest.mark.parametrize(("user_id", "now"), [(0, 0), (6, NOW), (2**53 + 1, 2**40 + 0.9)])
def test_token_is_what_pyjwt_would_sign(user_id: int, now: float) -> None:
    """The hand-made signature equals PyJWT's encoding of the same header and claims."""
    settings = TokenSettings(secret_key=VENDOR_KEY, lifetime_seconds=60)
    claims = {"exp": int(now) + 60, "user_id": user_id}
    expected = jwt.encode(claims, VENDOR_KEY, algorithm="HS256", sort_headers=False)
    assert widget_token(settings, user_id, now=now).token == expected


def test_header_and_payload_are_compact_json_in_vendor_order() -> None:
    """The header reads {"typ":"JWT","alg":"HS256"} and the payload {"exp":..,"user_id":..}."""
    token = widget_token(TokenSettings(secret_key=VENDOR_KEY), 6, now=NOW).token
    header, payload, _ = token.split(".")
    assert base64.urlsafe_b64decode(header + "==") == b'{"typ":"JWT","alg":"HS256"}'
    assert base64.urlsafe_b64decode(payload + "==") == b'{"exp":1700003600,"user_id":6}'


def test_key_variant_secret_plus_widget_id() -> None:
    """The secret_plus_widget_id switch signs with secret + widget id, and only that verifies."""
    plus = TokenSettings(
        secret_key=VENDOR_KEY, key_variant="secret_plus_widget_id", widget_id="w42"
    )
    assert signing_key(plus) == (VENDOR_KEY + "w42").encode()
    issued = widget_token(plus, 6, now=NOW)
    assert issued.token == php_get_jwt(6, VENDOR_KEY + "w42", NOW + 3600)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(issued.token, VENDOR_KEY, algorithms=["HS256"], options={"verify_exp": False})


def test_ttl_override_and_default_clock() -> None:
    """`ttl` overrides the lifetime; without `now` the token is valid from the current time."""
    settings = TokenSettings(secret_key=VENDOR_KEY)
    issued = widget_token(settings, 7, ttl=120)
    claims = verify_widget_token(settings, issued.token)
    assert claims == {"exp": issued.expires_at, "user_id": 7}


@pytest.mark.parametrize("bad", [True, "6", 6.0])
def test_user_id_must_be_an_int(bad: object) -> None:
    """A user id that is not an int (a bool, a string, a float) is refused, never coerced."""
    with pytest.raises(TypeError):
        widget_token(TokenSettings(secret_key=VENDOR_KEY), bad, now=NOW)  # type: ignore[arg-type]


def test_non_positive_ttl_is_refused() -> None:
    """A token that would be born expired is refused."""
    with pytest.raises(ValueError, match="positive"):
        widget_token(TokenSettings(secret_key=VENDOR_KEY), 6, ttl=0)


def forge(header: dict[str, object], payload: dict[str, object], key: bytes) -> str:
    """A token with an arbitrary header, signed HS256 with `key` (or unsigned for alg none)."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(payload).encode())
    signature = b""
    if header.get("alg") == "HS256":
        signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("expired", php_get_jwt(6, VENDOR_KEY, NOW)),
        ("wrong key", php_get_jwt(6, "x" * 64, 2**40)),
        ("alg none", forge({"alg": "none", "typ": "JWT"}, {"exp": 2**40, "user_id": 6}, b"")),
        (
            "string user_id",
            forge({"alg": "HS256"}, {"exp": 2**40, "user_id": "6"}, VENDOR_KEY.encode()),
        ),
        ("no exp", forge({"alg": "HS256"}, {"user_id": 6}, VENDOR_KEY.encode())),
        ("garbage", "not.a.token"),
    ],
)
def test_verify_refuses(name: str, token: str) -> None:
    """verify_widget_token refuses expired, foreign, unsigned and malformed tokens."""
    with pytest.raises(jwt.InvalidTokenError):
        verify_widget_token(TokenSettings(secret_key=VENDOR_KEY), token)


# The vendor's getJWT, as published in its integration notes (the clock is the only change).
VENDOR_GET_JWT = r"""
function getJWT($user_id, $secret_key, $time)
{
$header = json_encode(['typ' => 'JWT', 'alg' => 'HS256']);
$pass = $secret_key;
$data = array();
$data['exp'] = (int)NOW+$time;
$data['user_id'] = (int)$user_id;
$payload = json_encode($data);
$base64UrlHeader = str_replace(['+', '/', '='], ['-', '_', ''], base64_encode($header));
$base64UrlPayload = str_replace(['+', '/', '='], ['-', '_', ''], base64_encode($payload));
$signature = hash_hmac('sha256', $base64UrlHeader . "." . $base64UrlPayload, $pass, true);
$base64UrlSignature = str_replace(['+', '/', '='], ['-', '_', ''], base64_encode($signature));
return trim($base64UrlHeader . "." . $base64UrlPayload . "." . $base64UrlSignature);
}
"""


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed (not required)")
def test_vendor_php_get_jwt_agrees() -> None:
    """Where php exists, the vendor's own getJWT, run with a fixed clock, gives our token."""
    program = VENDOR_GET_JWT.replace("NOW", str(NOW)) + f"echo getJWT(6, '{VENDOR_KEY}', 3600);"
    result = subprocess.run(["php", "-r", program], capture_output=True, check=True)
    expected = widget_token(TokenSettings(secret_key=VENDOR_KEY), 6, now=NOW).token
    assert result.stdout.decode() == expected
