"""GraphiQL, served whole by the hub: the page and its scripts, with nothing from an outside host.

A port's closed network (and these machines) reach no public CDN, where strawberry's own page loads
GraphiQL and React from. ``scripts/setup.sh`` copies the npm packages' built files (pinned in
package.json: graphiql 3.8.3, react and react-dom 18.2.0) into ``assets/`` beside this file, which an
installed hub carries as package data. The key a user types in the Headers tab stays in that tab:
GraphiQL is told not to keep headers in the browser's storage.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

# The files setup copies (from node_modules: graphiql/, react/umd/, react-dom/umd/), with their media types.
ASSETS = {
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
}
PREFIX = "/graphiql-assets"
router = APIRouter(prefix=PREFIX, include_in_schema=False)


def asset_dir() -> Any:
    """Where the copied files are (``hub/api/graphiql/assets``)."""
    return files("hub.api.graphiql") / "assets"


def missing() -> list[str]:
    """The assets that setup has not copied (empty when GraphiQL can load)."""
    return [name for name in ASSETS if not (asset_dir() / name).is_file()]


@router.get("/{name}")
async def asset(name: str) -> FileResponse:
    """One of the four files, cached by the browser (their names carry no version, so: a day)."""
    if name not in ASSETS or not (asset_dir() / name).is_file():
        raise HTTPException(404, "no such GraphiQL asset")
    return FileResponse(
        str(asset_dir() / name),
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )


_WELCOME = """# The port and trade hub's GraphQL API.
#
# Paste your API key in the Headers tab below, as
#   {"Authorization": "Bearer hub_..."}
# (hub demo prints one per demo organisation). The schema and its documentation are
# public; every query, mutation and subscription needs a key.
#
{ me { organisation { name type } role } }
"""

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Port and trade hub: GraphiQL</title>
    <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
    <link rel="stylesheet" href="{prefix}/graphiql.min.css">
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL...</div>
    <script src="{prefix}/react.production.min.js"></script>
    <script src="{prefix}/react-dom.production.min.js"></script>
    <script src="{prefix}/graphiql.min.js"></script>
    <script>
      const url = new URL(window.location.href);
      const ws = (url.protocol === "https:" ? "wss://" : "ws://") + url.host + url.pathname;
      const fetcher = GraphiQL.createFetcher({{ url: url.pathname, subscriptionUrl: ws }});
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher,
          defaultQuery: {welcome},
          defaultHeaders: "{{}}",
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: false,
          defaultEditorToolsVisibility: "headers",
        }})
      );
    </script>
  </body>
</html>
"""

_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL is not installed</title></head>
<body><h1>GraphiQL is not installed</h1>
<p>This hub was installed without GraphiQL's files ({names}). Run <code>scripts/setup.sh</code> in the
checkout (it copies them from the npm packages), or POST GraphQL to this address with any client.</p>
</body></html>
"""


def page() -> HTMLResponse:
    """The GraphiQL page (or, where setup did not copy the files, a page that says so)."""
    absent = missing()
    if absent:
        return HTMLResponse(_MISSING.format(names=", ".join(absent)), status_code=503)
    return HTMLResponse(_PAGE.format(prefix=PREFIX, welcome=json.dumps(_WELCOME)))
