"""The browser client (`adapter/web/static/client/`) served at `<graphql path>/client/`.

An ES module fetched by a page on another origin is a CORS request, so these public files are
served with `Access-Control-Allow-Origin: *` (never with credentials; they hold no secret).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["CLIENT", "mount_client"]

CLIENT = Path(__file__).resolve().parent.parent / "static" / "client"
_CLIENT_PATH = "/client"


class _PublicModules(StaticFiles):
    """StaticFiles that any origin may import, revalidated on each use (it changes with us)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = "no-cache"
        if str(full_path).endswith(".ts"):
            response.headers["Content-Type"] = "application/typescript; charset=utf-8"
        return response


def mount_client(app: FastAPI, path: str) -> None:
    """Serve imbachat.js, documents.js and their declarations at `path`/client/."""
    app.mount(f"{path}{_CLIENT_PATH}", _PublicModules(directory=CLIENT), name="chat-client")
