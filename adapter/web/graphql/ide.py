"""GraphiQL and the browser client, served from the package with no request off this origin.

Strawberry's GraphiQL page loads React and GraphiQL from a CDN, so offline (or behind a strict
egress policy) it stays on "Loading..." forever. The build in `adapter/web/static/graphiql/`
comes from npm (scripts/vendor-graphiql, licences beside it) and is served under
`<path>/graphiql/`. The browser client (`adapter/web/static/client/`) is served at
`<path>/client/`: an ES module fetched by a page on another origin is a CORS request, so these
public files are served with `Access-Control-Allow-Origin: *` (never with credentials; they
hold no secret).
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["ASSETS", "CLIENT", "graphiql_page", "mount_static"]

ASSETS = Path(__file__).resolve().parent.parent / "static" / "graphiql"
CLIENT = ASSETS.parent / "client"
_ASSETS_PATH = "/graphiql"

_DEFAULT_QUERY = """query ChatWidget {
  chatWidget {
    scriptUrl
    options
    userId
    expiresAt
  }
}
"""
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GraphiQL: imbachat-adapter</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{assets}/graphiql.min.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{assets}/react.production.min.js"></script>
  <script src="{assets}/react-dom.production.min.js"></script>
  <script src="{assets}/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: "{endpoint}" }});
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, {{
      fetcher,
      defaultQuery: {default_query},
    }}));
  </script>
</body>
</html>
"""


def graphiql_page(path: str) -> str:
    """The GraphiQL page for the endpoint at `path`, its scripts under `path`/graphiql/."""
    endpoint = escape(path, quote=True)
    return _PAGE.format(
        assets=f"{endpoint}{_ASSETS_PATH}",
        endpoint=endpoint,
        default_query=json.dumps(_DEFAULT_QUERY),
    )


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


def mount_static(app: FastAPI, path: str, *, graphiql: bool) -> None:
    """Serve the browser client at `path`/client/, and GraphiQL's build at `path`/graphiql/."""
    app.mount(f"{path}/client", _PublicModules(directory=CLIENT), name="chat-client")
    if graphiql:
        app.mount(f"{path}{_ASSETS_PATH}", StaticFiles(directory=ASSETS), name="graphiql-assets")
