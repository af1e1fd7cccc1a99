"""The hall display: a full-screen TV page fed by server-sent events.

GET /display/<hall>          the page (?lang=sr-Cyrl|sr-Latn|en, Serbian Cyrillic by default)
GET /display/<hall>/events   text/event-stream of boards: ticket labels, counters, counts

EventSource reconnects by itself; `retry:` tells it how soon, and comments every few
seconds keep proxies from closing a quiet stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from flows.domain.halls import Hall
from flows.engine.i18n import normalize_language, render, text
from flows.engine.messages import Msg
from kiosk.assets import Assets, static_assets
from kiosk.events import Board, HallEvents
from kiosk.pages import hall_name, unknown_hall

log = logging.getLogger(__name__)

RETRY_MS = 2000
KEEPALIVE_SECONDS = 15.0
UI_KEYS = (
    "display.page.title",
    "display.now",
    "display.counter",
    "display.recent",
    "display.waiting",
    "display.none",
    "display.sound.on",
    "display.sound.off",
    "display.offline",
)


def service_names(hall: Hall, language: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for service in hall.services:
        name = render(Msg(service.name_key), language)
        names[service.prefix] = "" if name == service.name_key else name
    return names


class DisplayApp:
    def __init__(self, hub: HallEvents, halls: Mapping[str, Hall], assets: Assets) -> None:
        self.hub = hub
        self.halls = halls
        self.assets = assets
        self.keepalive_seconds = KEEPALIVE_SECONDS

    async def page(self, request: web.Request) -> web.Response:
        hall = self.halls.get(request.match_info["hall"])
        if hall is None:
            return await unknown_hall(self.assets)
        language = normalize_language(request.query.get("lang"))
        values: dict[str, str | float] = {
            key.removeprefix("display.").replace(".", "_"): text(key, language) for key in UI_KEYS
        }
        values.update(
            lang=language,
            hall_name=hall_name(hall, language),
            events=f"/display/{hall.code}/events?lang={language}",
            counter_template=text("display.counter", language),
        )
        body = await self.assets.page("display.html", values)
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def _first_board(self, hall: str) -> Board | None:
        try:
            return await self.hub.board(hall)
        except Exception as exc:  # the store is busy or down: the refresh will bring it
            log.warning("hall board read failed: %s", type(exc).__name__)
            return None

    async def events(self, request: web.Request) -> web.StreamResponse:
        hall = self.halls.get(request.match_info["hall"])
        if hall is None:
            raise web.HTTPNotFound(
                text='{"error": "unknown_hall"}', content_type="application/json"
            )
        language = normalize_language(request.query.get("lang"))
        names = service_names(hall, language)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        event_id = 0
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            async with self.hub.subscribe(hall.code) as sub:
                board = await self._first_board(hall.code)
                if board is not None:
                    sub.changed.clear()  # fresher than what the hub last pushed
                while not sub.closed:
                    if board is not None:
                        event_id += 1
                        await response.write(_event(event_id, board, names))
                        board = None
                    try:
                        await asyncio.wait_for(sub.changed.wait(), self.keepalive_seconds)
                    except TimeoutError:
                        await response.write(b": keep-alive\n\n")
                        continue
                    sub.changed.clear()
                    board = sub.board
        except ConnectionError:  # the display went away
            pass
        return response


def _event(event_id: int, board: Board, names: dict[str, str]) -> bytes:
    data: dict[str, Any] = board.as_json()
    for row in data["waiting"]:
        row["name"] = names.get(row["service"], "")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event_id}\nevent: board\ndata: {payload}\n\n".encode()


def add_display_routes(
    app: web.Application, hub: HallEvents, halls: Mapping[str, Hall]
) -> DisplayApp:
    """Mount the hall display; the hub's periodic refresh runs with the application."""
    display = DisplayApp(hub, halls, static_assets(app))
    app.router.add_get("/display/{hall}", display.page)
    app.router.add_get("/display/{hall}/events", display.events)
    app.cleanup_ctx.append(hub.refresher)

    async def end_streams(_: web.Application) -> None:
        hub.close()

    app.on_shutdown.append(end_streams)
    return display
