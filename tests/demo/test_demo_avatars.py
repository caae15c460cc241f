"""The demo site serves its users' avatar files itself, where its avatar URLs point."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from adapter.demo import create_demo_upstream_app
from adapter.demo.app import AVATAR_BASE_ENV
from adapter.demo.avatars import avatar_png
from adapter.demo.data import CDN_BASE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
USER = '{ user(id: "%s") { avatar { url file } profiles { avatarUrl } } }'


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """The demo upstream in-process, its avatar URLs under /demo-upstream."""
    monkeypatch.setenv(AVATAR_BASE_ENV, "/demo-upstream")
    transport = httpx.ASGITransport(app=create_demo_upstream_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        yield http


async def test_avatar_urls_follow_the_configured_base(client: httpx.AsyncClient) -> None:
    """With IMBACHAT_DEMO_AVATAR_BASE set, a user's avatar URL is under it."""
    body = (await client.post("/graphql", json={"query": USER % 6})).json()
    assert body["data"]["user"]["avatar"] == {
        "url": "/demo-upstream/avatars/6.png",
        "file": "avatars/6.png",
    }


async def test_the_avatar_a_url_names_is_served(client: httpx.AsyncClient) -> None:
    """GET /avatars/6.png answers the PNG for user 6, cacheable."""
    response = await client.get("/avatars/6.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.content.startswith(PNG_SIGNATURE)
    assert response.content == avatar_png("avatars/6.png")


async def test_sub_profile_avatars_are_served_too(client: httpx.AsyncClient) -> None:
    """A sub-profile's avatar URL (user 6 has sub-profiles) is served as a PNG."""
    body = (await client.post("/graphql", json={"query": USER % 6})).json()
    urls = [p["avatarUrl"] for p in body["data"]["user"]["profiles"] if p["avatarUrl"]]
    assert urls
    for url in urls:
        response = await client.get(url.removeprefix("/demo-upstream"))
        assert response.status_code == 200
        assert response.content.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/4.png",
        "/avatars/999999.png",
        "/avatars/6.jpg",
        "/avatars/0.png",
        "/profiles/6-Z.png",
    ],
)
async def test_pictures_nobody_has_are_404(client: httpx.AsyncClient, path: str) -> None:
    """User 4 has no avatar, 999999 does not exist, and other names are not files: 404."""
    response = await client.get(path)
    assert response.status_code == 404


def test_avatars_are_deterministic_and_distinct() -> None:
    """The same file name gives the same bytes; different users get different pictures."""
    assert avatar_png("avatars/6.png") == avatar_png("avatars/6.png")
    assert avatar_png("avatars/6.png") != avatar_png("avatars/7.png")


def test_the_default_base_is_unchanged_without_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the variable the URLs stay on the documented example CDN."""
    monkeypatch.delenv(AVATAR_BASE_ENV, raising=False)
    app = create_demo_upstream_app()
    user = app.state.directory.get(1)
    assert user.avatar.url == f"{CDN_BASE}/avatars/1.png"
