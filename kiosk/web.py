"""The kiosk's HTTP side: the touch page and its small JSON API, per hall.

GET  /kiosk/<hall>              the page (the same for everyone; no personal data)
GET  /kiosk/<hall>/api/state    the current screen of this kiosk session (after a reload)
POST /kiosk/<hall>/api/message  one tap or answer -> the next screen
POST /kiosk/<hall>/api/touch    someone is typing: the session is in use (204; 409: none)
GET  /static/kiosk/<file>       scripts and styles

The session is a random token in an HttpOnly, SameSite=Strict cookie scoped to the hall's
path; nothing personal goes in a URL. Every API answer is Cache-Control: no-store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from flows.domain.halls import Hall
from flows.engine.channel_ports import Conversations
from flows.engine.i18n import text
from flows.engine.json_body import BadRequest, read_json_object
from flows.engine.messages import DEFAULT_LANGUAGE, Command
from flows.engine.ports import SessionEnded
from flows.engine.records import KioskSession
from flows.engine.session_ports import KioskSessionStore
from kiosk.assets import Assets, static_assets
from kiosk.pages import hall_name, unknown_hall
from kiosk.screens import in_every_language, language_screen, ui_texts
from kiosk.sessions import TOUCH_EVERY, KioskSessions
from kiosk.settings import SWEEP_EVERY_SECONDS, KioskSettings
from kiosk.slipnote import SLIP_PROMISES, PrinterReady, slip_note
from kiosk.turns import (
    KioskMessage,
    KioskTurns,
    TakenElsewhere,
    parse_message,
    view,
)

log = logging.getLogger(__name__)

COOKIE = "kiosk_session"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    """orjson: a tenth of the standard encoder's time, and the text as UTF-8, not escaped."""
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", charset="utf-8"
    )


def cookie(header: str | None, name: str) -> str | None:
    """One cookie of a Cookie header, read without http.cookies (parsing every cookie of
    the header for one was a sizeable part of a request); our values are never quoted."""
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


@dataclass(frozen=True, slots=True)
class KioskDeps:
    engine: Conversations
    halls: Mapping[str, Hall]
    store: KioskSessionStore
    settings: KioskSettings = field(default_factory=KioskSettings)
    # Whether the hall's printer can print (None: not known yet). Without it the kiosk
    # says nothing about the slip.
    printer_ready: PrinterReady | None = None


class KioskApp:
    def __init__(self, deps: KioskDeps, assets: Assets) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.sessions = KioskSessions(deps.store)
        # With the printer's condition at hand the kiosk tells what became of the slip
        # itself, so the engine's own "the slip is printing" would only contradict it.
        own_note = deps.printer_ready is not None
        self.turns = KioskTurns(deps.engine, deps.store, SLIP_PROMISES if own_note else frozenset())
        self.assets = assets

    # -- pages ---------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        hall = self.deps.halls.get(request.match_info["hall"])
        if hall is None:
            return await unknown_hall(self.assets)
        ui = ui_texts(DEFAULT_LANGUAGE)
        values: dict[str, str | float] = {
            "lang": DEFAULT_LANGUAGE,
            "hall_code": hall.code,
            "hall_name": hall.name,
            "api": f"/kiosk/{hall.code}/api",
            "idle_seconds": self.settings.idle_seconds,
            "countdown_seconds": self.settings.idle_warning_seconds,
            "touch_seconds": TOUCH_EVERY.total_seconds(),
            "slip_refresh_seconds": self.settings.slip_refresh_seconds,
        }
        values.update({k.replace(".", "_"): v for k, v in ui.items()})
        body = await self.assets.page("kiosk.html", values)
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    # -- API -----------------------------------------------------------------------------

    async def state(self, request: web.Request) -> web.Response:
        hall = self._hall(request)
        try:
            session = await self.sessions.get(hall.code, self._token(request))
            if session is None:
                session = await self._fresh(hall.code, request)
            await self.turns.restore(session)
        except Exception as exc:  # the store is away: nothing changed, the page tries again
            return self._unavailable(exc)
        return self._answer(request, session, 200, view(session))

    async def touch(self, request: web.Request) -> web.Response:
        hall = self._hall(request)
        try:
            found = await self.sessions.touch(hall.code, self._token(request))
        except Exception as exc:
            return self._unavailable(exc)
        return web.Response(status=204 if found else 409)

    async def message(self, request: web.Request) -> web.Response:
        hall = self._hall(request)
        try:
            body = await read_json_object(
                request.content_type, request.content_length, request.content.iter_chunked(4096)
            )
            message = parse_message(body)
        except BadRequest as exc:
            return json_response(exc.body(), exc.status)
        token = self._token(request)
        if message.command == Command.WIPE:
            return await self._wipe(request, hall.code, token)
        try:
            async with self.sessions.lock(token) if token else contextlib.nullcontext():
                # Under the lock: a request just before this one may have moved it on. Not
                # marked as seen: the turn's unit does that, or the sweep may win.
                session = await self.sessions.for_message(hall.code, token, message.seq)
                if session is None:
                    session = await self._fresh(hall.code, request)
                    if message.seq != 1:
                        return self._expired(request, session)
                try:
                    status, body = await self._take(session, message)
                except SessionEnded:
                    fresh = await self._fresh(hall.code, request)
                    return self._expired(request, fresh, session.language)
        except Exception as exc:
            return self._unavailable(exc)
        return self._answer(request, session, status, body)

    async def _take(
        self, session: KioskSession, message: KioskMessage
    ) -> tuple[int, dict[str, Any]]:
        """The turn. When another request of the session took this message (maybe at
        another process) its answer is given; raises SessionEnded when the session is
        gone (the sweep wiped it while the turn ran: the turn wrote nothing)."""
        try:
            answer = await self.turns.take(session, message)
        except (TakenElsewhere, SessionEnded):
            now = await self.sessions.get(session.hall, session.token, touch=False)
        else:
            self.sessions.remember(session)
            return answer
        if now is None:
            raise SessionEnded(session.token)
        await self.turns.restore(now)
        if now.seq == message.seq and now.last_request == message.request:
            return 200, view(now)
        return 409, {"error": "stale", **view(now)}

    def _expired(
        self, request: web.Request, session: KioskSession, language: str | None = None
    ) -> web.Response:
        """The session ended (wiped for inactivity, or never existed): said in the
        person's language when known, else in every language."""
        key = "kiosk.notice.expired"
        notice = text(key, language) if language else in_every_language(key)
        screen = language_screen(notice=notice)
        body = {"error": "stale", **view(session), "screen": screen}
        return self._answer(request, session, 409, body)

    async def _wipe(self, request: web.Request, hall: str, token: str | None) -> web.Response:
        """Whatever fails, the page gets a new session: the old one's screen never comes
        back to it (a wipe the store could not do now, the sweep does later)."""
        try:
            async with self.sessions.lock(token) if token else contextlib.nullcontext():
                session = await self.sessions.get(hall, token, touch=False)
                fresh = await self._fresh(hall, request, session)
        except Exception as exc:
            log.error("kiosk wipe failure: %s", type(exc).__name__)
            fresh = self.sessions.unsaved(hall)
        return self._answer(request, fresh, 200, {**view(fresh), "wiped": True})

    async def _fresh(
        self, hall: str, request: web.Request, gone: KioskSession | None = None
    ) -> KioskSession:
        """A new session, in the transaction that wipes the previous one: `gone`, or the
        conversation of a cookie token with no session (wiped, swept, or made up), which
        may hold someone's answers."""
        stale = self._token(request)
        if gone is None and stale:
            gone = self.sessions.ghost(hall, stale)
        return await self.sessions.replace(hall, gone)

    def _token(self, request: web.Request) -> str | None:
        token = cookie(request.headers.get("Cookie"), COOKIE)
        return token if token and _TOKEN.match(token) else None

    def _unavailable(self, exc: Exception) -> web.Response:
        log.error("kiosk store failure: %s", type(exc).__name__)
        body = {
            "error": "unavailable",
            "message": text("kiosk.error.unavailable", DEFAULT_LANGUAGE),
        }
        return json_response(body, 503)

    def _answer(
        self, request: web.Request, session: KioskSession, status: int, body: dict[str, Any]
    ) -> web.Response:
        hall = self.deps.halls[session.hall]
        language = str(body.get("language", DEFAULT_LANGUAGE))
        body = {**body, "hall": hall_name(hall, language)}
        screen = body.get("screen")
        if self.deps.printer_ready is not None and isinstance(screen, dict):
            # Asked at every answer and reload, so the page follows the printer's state.
            note = slip_note(screen, self.deps.printer_ready, hall.printer, language)
            body["screen"] = {**screen, "slip": note}
        response = json_response(body, status)
        if self._token(request) != session.token:
            response.set_cookie(
                COOKIE,
                session.token,
                path=f"/kiosk/{session.hall}",
                httponly=True,
                samesite="Strict",
                secure=request.secure,
            )
        return response

    def _hall(self, request: web.Request) -> Hall:
        hall = self.deps.halls.get(request.match_info["hall"])
        if hall is None:
            raise web.HTTPNotFound(
                text='{"error": "unknown_hall"}', content_type="application/json"
            )
        return hall

    # -- the server-side safety net ------------------------------------------------------

    async def sweep(self) -> int:
        """Wipe sessions whose page went silent, whichever process served them; returns
        how many were wiped."""
        return await self.sessions.sweep(self.settings.quiet)

    async def sweeper(self, app: web.Application) -> AsyncIterator[None]:
        """At start-up (what a crash or a restart left behind), then every little while."""

        async def sweep_safely() -> None:
            try:
                await self.sweep()
            except Exception as exc:  # the store is away: the next round does it
                log.warning("kiosk sweep failed: %s", type(exc).__name__)

        async def loop() -> None:
            every = max(1.0, min(SWEEP_EVERY_SECONDS, self.settings.idle_seconds / 2))
            while True:
                await asyncio.sleep(every)
                await sweep_safely()

        await sweep_safely()
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def add_kiosk_routes(app: web.Application, deps: KioskDeps) -> KioskApp:
    """Mount the kiosk on an application; returns it (tests and the shell may sweep)."""
    kiosk = KioskApp(deps, static_assets(app))
    app.router.add_get("/kiosk/{hall}", kiosk.page)
    app.router.add_get("/kiosk/{hall}/api/state", kiosk.state)
    app.router.add_post("/kiosk/{hall}/api/message", kiosk.message)
    app.router.add_post("/kiosk/{hall}/api/touch", kiosk.touch)
    app.cleanup_ctx.append(kiosk.sweeper)
    return kiosk
