"""getUpdates under load: the updates in flight come back in every answer, and only the
new ones are read; an answer laid out in any other way is read whole."""

from __future__ import annotations

import json
from typing import Any

from bot.telegram.updates import UpdatesRequest


def update(uid: int, text: str = "Здраво") -> dict[str, Any]:
    chat = {"id": 7, "type": "private", "first_name": "Ана"}
    return {"update_id": uid, "message": {"message_id": uid, "date": 1, "chat": chat, "text": text}}


def answer(updates: list[dict[str, Any]], compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")  # Telegram's, aiohttp's
    return json.dumps({"ok": True, "result": updates}, separators=separators).encode()


def read(payload: bytes, fetched_below: int) -> list[dict[str, Any]]:
    request = UpdatesRequest(base_url="http://127.0.0.1:1/bot1:x", connections=1)
    request.skip_below = fetched_below
    return list(request.parse_json_payload(payload)["result"])


def test_the_updates_in_flight_are_skipped_and_the_new_ones_read_whole() -> None:
    sent = [update(n) for n in range(1, 6)]
    for compact in (True, False):
        assert read(answer(sent, compact), fetched_below=4) == sent[3:]
        assert read(answer(sent, compact), fetched_below=6) == []
        assert read(answer(sent, compact), fetched_below=0) == sent
    assert read(answer([], compact=True), fetched_below=4) == []


def test_what_people_type_cannot_pass_for_an_update() -> None:
    sent = [update(1, 'see {"update_id": 99, "x": 1}'), update(2), update(3)]

    assert read(answer(sent, compact=True), fetched_below=2) == sent[1:]


def test_an_answer_laid_out_otherwise_is_read_whole() -> None:
    sent = [{"message": update(n)["message"], "update_id": n} for n in range(1, 4)]

    assert read(answer(sent, compact=True), fetched_below=3) == sent  # the poller skips


def test_a_refusal_is_read_as_ptb_reads_it() -> None:
    refusal = b'{"ok":false,"error_code":409,"description":"Conflict: terminated"}'

    request = UpdatesRequest(base_url="http://127.0.0.1:1/bot1:x", connections=1)
    request.skip_below = 3
    assert request.parse_json_payload(refusal)["description"] == "Conflict: terminated"
