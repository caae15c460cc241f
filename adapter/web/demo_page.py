"""The demo page (`make demo`): the example single page app and the stand-in widget script."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from adapter.config import Settings

__all__ = ["STAND_IN_PATH", "mount_demo_page"]

# Files only: the demo package itself is never imported from here.
_STAND_IN = Path(__file__).resolve().parent.parent / "demo" / "static"
STAND_IN_PATH = "/stand-in"


def mount_demo_page(app: FastAPI, settings: Settings) -> None:
    """Serve the page at `demo_page.path` and the stand-in widget under it, when enabled."""
    page = settings.demo_page
    if not page.enabled:
        return
    directory = settings.resolve(page.directory)  # a folder: `prepare_runtime` checked it
    folder = f"{page.path}/"

    # Starlette's slash redirect writes the request's Host into Location, so a forged Host would
    # send the visitor elsewhere; a path-only Location stays on whatever host the browser used.
    @app.get(page.path, include_in_schema=False)
    async def to_folder(request: Request) -> RedirectResponse:
        query = request.url.query
        return RedirectResponse(f"{folder}?{query}" if query else folder)

    app.mount(f"{page.path}{STAND_IN_PATH}", StaticFiles(directory=_STAND_IN), name="stand-in")
    app.mount(page.path, StaticFiles(directory=directory, html=True), name="demo-page")
