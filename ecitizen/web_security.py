"""Security headers for every answer of the one server (kiosk, hall display, landing page,
web chat, webhooks), set where the server is built so that no route can miss them.

The kiosk runs on a shared public device, so the pages load nothing from outside (the hall
may have no internet anyway), run no inline script or style, and cannot be framed. An
answer that says nothing of its caching may carry what a person typed: no browser or proxy
keeps it.
"""

from __future__ import annotations

from aiohttp import web

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; font-src 'self'; media-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


async def _before_sending(request: web.Request, response: web.StreamResponse) -> None:
    """Every response, error pages (404, 405, 413) and event streams included, just before
    its headers go out."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"


def secure(app: web.Application) -> web.Application:
    """The security headers on every answer of `app` (call before it starts)."""
    app.on_response_prepare.append(_before_sending)
    return app
