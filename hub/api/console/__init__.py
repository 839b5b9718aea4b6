"""The web console, served whole by the hub at ``/``: one page and its hashed scripts and styles.

The sources are in ``console/`` (TypeScript, Preact, graphql-ws, Chart.js; see the README for why);
``scripts/setup.sh`` builds them with Vite into ``dist/`` beside this file, which an installed hub carries
as package data. The console talks to the hub only through the public GraphQL API and REST endpoints,
with the user's own key: this module serves files and nothing else.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

# Everything from the hub itself, nothing inline, nothing from another host; scripts and the live
# connection go back to this origin only. Chart.js and Preact set styles through the DOM, which
# style-src does not restrict.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_MEDIA = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}

_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Port and trade hub</title></head>
<body><h1>The web console is not built</h1>
<p>Run <code>scripts/setup.sh</code> (it builds the console with Node.js and npm), then reload.
The GraphQL API is at <a href="/graphql">/graphql</a>.</p></body></html>"""


def dist() -> Any:
    """Where the built console is (``hub/api/console/dist``)."""
    return files("hub.api.console") / "dist"


def built() -> bool:
    """Whether setup has built the console."""
    return bool((dist() / "index.html").is_file())


@router.get("/")
async def index() -> HTMLResponse:
    """The console's one page; the browser asks again each time (its asset names change with each build)."""
    if not built():
        return HTMLResponse(_MISSING, status_code=503)
    return HTMLResponse(
        (dist() / "index.html").read_text(encoding="utf-8"),
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


@router.get("/assets/{name}")
async def asset(name: str) -> FileResponse:
    """A built script or style; its name carries a hash of its content, so it is cached for a year."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    path = dist() / "assets" / name
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in _MEDIA or not path.is_file():
        raise HTTPException(404, "no such console asset")
    return FileResponse(
        str(path),
        media_type=_MEDIA[suffix],
        headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"},
    )
