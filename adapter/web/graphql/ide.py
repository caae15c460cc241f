"""GraphiQL from the package: its page and the vendored build, with no request off this origin.

Strawberry's page loads React and GraphiQL from a CDN, so offline (or behind a strict egress
policy) it stays on "Loading..." forever. The build in `adapter/web/static/graphiql/` comes from
npm (scripts/vendor-graphiql, licences beside it) and is served under `<path>/graphiql/`.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

__all__ = ["ASSETS", "graphiql_page", "mount_graphiql_assets"]

ASSETS = Path(__file__).resolve().parent.parent / "static" / "graphiql"
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


def mount_graphiql_assets(app: FastAPI, path: str) -> None:
    """Serve the vendored build at `path`/graphiql/."""
    app.mount(f"{path}{_ASSETS_PATH}", StaticFiles(directory=ASSETS), name="graphiql-assets")
