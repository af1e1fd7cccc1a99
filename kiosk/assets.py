"""The hall's static files (scripts, styles) and HTML page templates, served from memory.

Only the files listed are served (no directory walking); each is read once, off the event
loop, and revalidated by ETag. Pages are templates with $name fields filled with escaped
text on the server: no inline script or style, so the strict CSP holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
from collections.abc import Mapping
from pathlib import Path
from string import Template

from aiohttp import web

STATIC_DIR = Path(__file__).with_name("static")
STATIC_FILES = frozenset(
    {"kiosk.js", "keyboard.js", "fit.js", "kiosk.css", "display.js", "display.css", "landing.css"}
)
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
}


class Assets:
    def __init__(self, directory: Path, served: frozenset[str]) -> None:
        self._dir = directory
        self._served = served
        self._cache: dict[str, bytes] = {}
        self._lock = asyncio.Lock()

    async def read(self, name: str) -> bytes:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        async with self._lock:
            if name not in self._cache:
                self._cache[name] = await asyncio.to_thread((self._dir / name).read_bytes)
        return self._cache[name]

    async def page(self, name: str, values: Mapping[str, str | float]) -> str:
        """A template with every $field replaced by its HTML-escaped value."""
        template = Template((await self.read(name)).decode("utf-8"))
        return template.substitute({k: html.escape(str(v)) for k, v in values.items()})

    async def serve(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name", "")
        if name not in self._served:
            raise web.HTTPNotFound()
        body = await self.read(name)
        etag = hashlib.sha256(body).hexdigest()[:32]
        headers = {"Cache-Control": "no-cache", "ETag": f'"{etag}"'}
        if request.headers.get("If-None-Match") == f'"{etag}"':
            return web.Response(status=304, headers=headers)
        ctype = CONTENT_TYPES[Path(name).suffix]
        return web.Response(body=body, content_type=ctype, charset="utf-8", headers=headers)


_APP_KEY = web.AppKey("kiosk.assets", Assets)


def static_assets(app: web.Application) -> Assets:
    """The kiosk package's assets, with GET /static/kiosk/<file> mounted once per app."""
    existing = app.get(_APP_KEY)
    if existing is not None:
        return existing
    assets = Assets(STATIC_DIR, STATIC_FILES)
    app[_APP_KEY] = assets
    app.router.add_get("/static/kiosk/{name}", assets.serve, name="kiosk-static")
    return assets
