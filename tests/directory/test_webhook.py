"""The users-changed webhook: signature, replays, body checks, and off without a secret."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio
import redis.exceptions

from adapter.app import create_app
from adapter.config import GlobalIdSettings, IdSettings
from adapter.errors import ConfigError, RequestRejected, SignatureRejected
from adapter.globalids import GlobalIds
from adapter.web.webhooks import SIGNATURE_HEADER, _ids, _verify, sign
from tests.servers import PrivateRedis, refused_port
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

SECRET = "0123456789abcdef-webhook"
MALFORMED = f"malformed {SIGNATURE_HEADER} header: expected t=<unix>,v1=<hex>"
URL = "/imbachat/v1/webhooks/users-changed"


def _error(status: int, message: str) -> dict[str, Any]:
    return {"code": status, "version": 1, "error": message, "debug": ""}


@pytest.fixture
async def client(redis_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The adapter with the webhook on, over the real Redis."""
    app = create_app(redis_settings({"webhooks": {"secret": SECRET}}))
    async with asgi_client(app) as client:
        yield client


async def _post(
    client: httpx.AsyncClient,
    body: bytes,
    *,
    timestamp: int | None = None,
    header: str | None = None,
) -> httpx.Response:
    signature = header or sign(SECRET.encode(), body, timestamp or int(time.time()))
    return await client.post(URL, content=body, headers={SIGNATURE_HEADER: signature})


@pytest.mark.parametrize(
    ("body", "count"),
    [
        (b"[1, 2, 3]", 3),
        (b'{"ids": ["4", 5], "event": "profile.updated"}', 2),
        (b"[7, 7, 8]", 2),
        (b"[]", 0),
    ],
)
async def test_a_signed_list_of_ids_is_accepted(
    client: httpx.AsyncClient, body: bytes, count: int
) -> None:
    """A list, or an object with `ids`, of integers or digit strings evicts that many ids."""
    response = await _post(client, body)
    assert response.status_code == 200
    assert response.json() == {"code": 200, "version": 1, "invalidated": count}


async def test_any_of_several_signatures_may_match(client: httpx.AsyncClient) -> None:
    """While the site rotates its secret it may send two v1 values; one matching is enough."""
    body = b"[1]"
    now = int(time.time())
    good = sign(SECRET.encode(), body, now).partition("v1=")[2]
    header = f"t={now},v1={'0' * 64},v1={good}"
    assert (await _post(client, body, header=header)).status_code == 200


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", f"missing or oversized {SIGNATURE_HEADER} header"),
        ("t=1," + "v1=" + "a" * 2000, f"missing or oversized {SIGNATURE_HEADER} header"),
        ("v1=" + "a" * 64, MALFORMED),
        ("t=12,v1=abc", MALFORMED),
        ("t=1e9,v1=" + "a" * 64, MALFORMED),
        ("t=" + "9" * 20 + ",v1=" + "a" * 64, MALFORMED),
        ("t={now},v1=" + "a" * 64, "the signature does not match the body"),
    ],
)  # fmt: skip
async def test_a_missing_malformed_or_wrong_signature_is_refused(
    client: httpx.AsyncClient, header: str, message: str
) -> None:
    """Every signature problem is a 401 in the chat's JSON error shape."""
    header = header.replace("{now}", str(int(time.time())))
    response = await client.post(URL, content=b"[1]", headers={SIGNATURE_HEADER: header})
    assert response.status_code == 401
    assert response.json() == _error(401, message)


async def test_a_signature_of_another_body_or_secret_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """The signature covers the exact body bytes and the secret."""
    now = int(time.time())
    other_body = sign(SECRET.encode(), b"[2]", now)
    other_secret = sign(b"another-secret-entirely", b"[1]", now)
    for header in (other_body, other_secret):
        response = await _post(client, b"[1]", header=header)
        assert response.json() == _error(401, "the signature does not match the body")


@pytest.mark.parametrize("offset", [-310, 310])
async def test_a_timestamp_outside_the_tolerance_is_refused(
    client: httpx.AsyncClient, offset: int
) -> None:
    """A correctly signed delivery well older (or newer) than 300 s is refused.

    The margin past 300 s keeps the test true when the request crosses a second boundary on a
    slow machine; the exact edge is proved against a fixed clock below.
    """
    response = await _post(client, b"[1]", timestamp=int(time.time()) + offset)
    assert response.status_code == 401
    assert response.json() == _error(401, "the signature timestamp is too old or in the future")


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-301, False), (-300, True), (0, True), (300, True), (301, False)],
)
def test_the_tolerance_edge_is_exact(offset: int, accepted: bool) -> None:
    """With the clock fixed, 300 s either way is accepted and 301 s is refused."""
    now = 1_800_000_000
    header = sign(SECRET.encode(), b"[1]", now + offset)
    if accepted:
        assert _verify(header, b"[1]", SECRET.encode(), now=now, tolerance=300)[0] == now + offset
    else:
        with pytest.raises(SignatureRejected, match="too old or in the future"):
            _verify(header, b"[1]", SECRET.encode(), now=now, tolerance=300)


async def test_a_replayed_delivery_is_refused(client: httpx.AsyncClient) -> None:
    """The same signed delivery a second time is refused; a fresh signature is accepted."""
    body = b"[1, 2]"
    now = int(time.time())
    header = sign(SECRET.encode(), body, now)
    assert (await _post(client, body, header=header)).status_code == 200
    replay = await _post(client, body, header=header)
    assert replay.status_code == 401
    assert replay.json() == _error(401, "this signature was already used; sign each delivery anew")
    assert (await _post(client, body, timestamp=now - 1)).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the body is not JSON"),
        (b'{"users": [1]}', 'expected a JSON list of user ids, or {"ids": [...]}'),
        (b"42", 'expected a JSON list of user ids, or {"ids": [...]}'),
        (b"[1, -2]", "invalid user id '-2' at position 2: expected a non-negative integer"),
        (b'[1, "1a2"]', "invalid user id '1a2' at position 2: expected a non-negative integer"),
        (b"[1.5]", "invalid user id 1.5 at position 1"),
        (b"[true]", "invalid user id true at position 1"),
        (b"[null]", "invalid user id null at position 1"),
        (b'[""]', 'invalid user id "" at position 1'),
        (b'["1,2"]', 'invalid user id "1,2" at position 1'),
        (orjson.dumps(list(range(1001))), "too many user ids: at most 1000 per call"),
    ],
)
async def test_a_bad_body_is_a_400(client: httpx.AsyncClient, body: bytes, message: str) -> None:
    """A signed body that is not a list of valid ids is a 400 naming the problem."""
    response = await _post(client, body)
    assert response.status_code == 400
    assert response.json() == _error(400, message)


async def test_a_body_over_the_bound_is_a_413(redis_settings: SettingsFactory) -> None:
    """Past `max_body_bytes` the body is refused before its signature is even checked."""
    settings = redis_settings({"webhooks": {"secret": SECRET, "max_body_bytes": 64}})
    body = orjson.dumps(list(range(100)))
    async with asgi_client(create_app(settings)) as client:
        declared = await _post(client, body)

        async def chunks() -> AsyncIterator[bytes]:
            yield body[:50]
            yield body[50:]

        streamed = await client.post(URL, content=chunks(), headers={SIGNATURE_HEADER: "t=1"})
    assert declared.status_code == streamed.status_code == 413
    assert streamed.json() == _error(413, "the request body is too large")


async def test_without_a_secret_the_webhook_is_not_there(make_settings: SettingsFactory) -> None:
    """The reference configuration (secret empty) answers the route with the JSON 404."""
    settings = make_settings()
    assert not settings.webhooks.enabled
    async with asgi_client(create_app(settings)) as client:
        response = await _post(client, b"[1]")
    assert response.status_code == 404
    assert response.json() == _error(404, "Not Found")


def test_the_secret_comes_from_the_environment_and_must_not_be_short(
    make_settings: SettingsFactory,
) -> None:
    """`IMBACHAT_WEBHOOK_SECRET` turns the webhook on; a secret under 16 characters is refused."""
    assert make_settings(IMBACHAT_WEBHOOK_SECRET=SECRET).webhooks.enabled
    with pytest.raises(ConfigError, match=r"webhooks\.secret: must be at least 16 characters"):
        make_settings(IMBACHAT_WEBHOOK_SECRET="short")


async def test_an_eviction_redis_could_not_do_is_a_503_the_site_may_retry(
    redis_settings: SettingsFactory,
) -> None:
    """With Redis unreachable the webhook answers 503, and the same delivery may be retried."""
    dead = f"redis://127.0.0.1:{refused_port()}/0"
    settings = redis_settings({"webhooks": {"secret": SECRET}, "cache": {"redis": {"url": dead}}})
    header = sign(SECRET.encode(), b"[1]", int(time.time()))
    async with asgi_client(create_app(settings)) as client:
        first = await _post(client, b"[1]", header=header)
        again = await _post(client, b"[1]", header=header)
    assert first.status_code == again.status_code == 503
    assert first.json() == _error(503, "the shared cache is unavailable; retry later")


def test_the_readme_shell_recipe_signs_like_the_adapter() -> None:
    """`openssl dgst -sha256 -hmac` over "<t>.<body>" gives the adapter's v1 signature."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    body, timestamp = b'{"ids":[6,7,12]}', 1700000000
    digest = subprocess.run(
        [openssl, "dgst", "-sha256", "-hmac", SECRET, "-r"],
        input=f"{timestamp}.".encode() + body,
        capture_output=True,
        check=True,
    ).stdout.split()[0]
    assert sign(SECRET.encode(), body, timestamp) == f"t={timestamp},v1={digest.decode()}"


def test_global_ids_in_the_body_are_decoded() -> None:
    """A site of global ids may name changed users by its own ids; the chat's ids are evicted."""
    relay = GlobalIds(GlobalIdSettings(encoding="relay", type="User"))
    body = orjson.dumps([relay.encode(5), 6, "7"])
    assert _ids(body, IdSettings(), relay) == [5, 6, 7]
    with pytest.raises(RequestRejected, match="invalid user id"):
        _ids(orjson.dumps([relay.encode(5)]), IdSettings())  # without global_id: not an id


async def test_a_full_redis_still_evicts_and_readyz_says_the_cache_is_degraded(
    redis_settings: SettingsFactory, private_redis: Callable[..., PrivateRedis]
) -> None:
    """On a full `noeviction` Redis the replay guard's write is refused, but the delete Redis
    takes is made (200, the entry gone), and /readyz reports the cache degraded."""
    server = private_redis("--maxmemory-policy", "noeviction")
    settings = redis_settings(
        {"webhooks": {"secret": SECRET}, "cache": {"redis": {"url": server.url}}}
    )
    raw = redis.asyncio.Redis.from_url(server.url)
    try:
        async with asgi_client(create_app(settings)) as client:
            assert (await client.get("/imbachat/v1/users?user_ids=1", auth=CHAT_AUTH)).json()
            (entry,) = [key async for key in raw.scan_iter(match="*u:1")]
            await raw.config_set("maxmemory", 1)  # full: every write is refused from now on
            with pytest.raises(redis.exceptions.OutOfMemoryError):
                await raw.set("one-more", b"x")
            response = await _post(client, b"[1]")
            assert response.status_code == 200, response.text
            assert await raw.exists(entry) == 0
            ready = (await client.get("/readyz")).json()
    finally:
        await raw.aclose()
    assert ready["checks"]["cache"] == "degraded"
