"""GraphiQL is served from the package: the page names only this origin's files, all served."""

from __future__ import annotations

import re
from typing import Any

from adapter.web.graphql.ide import ASSETS

Api = Any

HTML = {"Accept": "text/html"}
REFERENCES = re.compile(r'(?:src|href)="([^"]+)"')


async def test_the_page_loads_nothing_from_another_origin(api: Api) -> None:
    """Every script and stylesheet of the page is a path on this host (no CDN)."""
    async with api() as client:
        page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    references = REFERENCES.findall(page.text)
    assert {
        "/graphql/graphiql/graphiql.min.js",
        "/graphql/graphiql/react.production.min.js",
    } <= set(references)
    for reference in references:
        assert reference.startswith(("/", "data:")), reference
    assert "unpkg" not in page.text
    assert "jsdelivr" not in page.text


async def test_every_asset_the_page_names_is_served(api: Api) -> None:
    """The vendored build answers 200 with a JavaScript or CSS type, at the paths the page uses."""
    async with api() as client:
        page = await client.get("/graphql", headers=HTML)
        for reference in REFERENCES.findall(page.text):
            if reference.startswith("data:"):
                continue
            asset = await client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.headers["content-type"].split(";")[0] in {
                "text/javascript",
                "application/javascript",
                "text/css",
            }


async def test_the_page_follows_a_configured_path(api: Api) -> None:
    """With graphql.path /api/chat the page posts there and loads its files from under it."""
    async with api({"graphql": {"path": "/api/chat"}}) as client:
        page = await client.get("/api/chat", headers=HTML)
        script = await client.get("/api/chat/graphiql/graphiql.min.js")
    assert 'url: "/api/chat"' in page.text
    assert script.status_code == 200


async def test_no_assets_when_graphiql_is_off(api: Api) -> None:
    """With graphiql off, the vendored files are not served either."""
    async with api({"graphql": {"graphiql": False}}) as client:
        script = await client.get("/graphql/graphiql/graphiql.min.js")
    assert script.status_code == 404


def test_the_vendored_build_carries_its_licences() -> None:
    """Each vendored package has its licence file and is listed with its version."""
    versions = (ASSETS / "VERSIONS").read_text()
    for package in ("graphiql", "react", "react-dom"):
        assert "MIT License" in (ASSETS / f"LICENSE.{package}").read_text()
        assert re.search(rf"^{package} \d+\.\d+\.\d+ ", versions, re.MULTILINE)
