"""Security headers for every page the hall serves: kiosk, display, landing, web chat.

The kiosk runs on a shared public device, so the pages load nothing from outside (the hall
may have no internet anyway), run no inline script or style, and cannot be framed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

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

# Responses that may carry what a citizen typed: never kept by the browser or a proxy.
NO_STORE = "no-store"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
R = TypeVar("R", bound=web.StreamResponse)


def harden(response: R) -> R:
    """Add the security headers a handler did not set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def no_store(response: R) -> R:
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Middleware for the whole server; error responses (404, 405, 413) get them too."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        harden(exc)
        if "Cache-Control" not in exc.headers:
            no_store(exc)
        raise
    if not response.prepared:
        harden(response)
        if "Cache-Control" not in response.headers:
            no_store(response)
    return response
