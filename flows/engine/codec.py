"""Messages to and from JSON: for the outbox and the channels' HTTP APIs."""

from __future__ import annotations

from typing import Any

from flows.engine.messages import Choice, ConversationKey, Expect, Msg, Outbound


def msg_to_json(msg: Msg) -> dict[str, Any]:
    return {
        "key": msg.key,
        "values": {k: (msg_to_json(v) if isinstance(v, Msg) else v) for k, v in msg.values},
    }


def msg_from_json(data: dict[str, Any]) -> Msg:
    values: dict[str, str | Msg] = {}
    for k, v in dict(data.get("values", {})).items():
        values[str(k)] = msg_from_json(v) if isinstance(v, dict) else str(v)
    return Msg.of(str(data["key"]), **values)


def outbound_to_json(out: Outbound) -> dict[str, Any]:
    return {
        "channel": out.key.channel,
        "user_key": out.key.user_key,
        "language": out.language,
        "text": [msg_to_json(m) for m in out.text],
        "choices": [{"id": c.id, "label": msg_to_json(c.label)} for c in out.choices],
        "expect": out.expect.value,
        "qr": out.qr,
        "screen": out.screen,
        "reference": out.reference,
        "ticket": out.ticket,
        "end": out.end,
        "extras": dict(out.extras),
        "answer": out.answer,
    }


def outbound_from_json(data: dict[str, Any]) -> Outbound:
    return Outbound(
        key=ConversationKey(str(data["channel"]), str(data["user_key"])),
        language=str(data["language"]),
        text=tuple(msg_from_json(m) for m in data.get("text", [])),
        choices=tuple(
            Choice(str(c["id"]), msg_from_json(c["label"])) for c in data.get("choices", [])
        ),
        expect=Expect(data.get("expect", Expect.NOTHING.value)),
        qr=data.get("qr"),
        screen=str(data.get("screen", "")),
        reference=data.get("reference"),
        ticket=data.get("ticket"),
        end=bool(data.get("end", False)),
        extras={str(k): str(v) for k, v in dict(data.get("extras", {})).items()},
        answer=data.get("answer"),
    )


def _compact_msg(msg: Msg) -> dict[str, Any]:
    if not msg.values:
        return {"key": msg.key}
    values = {k: (_compact_msg(v) if isinstance(v, Msg) else v) for k, v in msg.values}
    return {"key": msg.key, "values": values}


def recorded_to_json(out: Outbound) -> dict[str, Any]:
    """outbound_to_json's layout without the fields that hold their defaults (what
    outbound_from_json reads back the same): the reply recorded with every message's
    unit, so the smaller and quicker the better."""
    data: dict[str, Any] = {
        "channel": out.key.channel,
        "user_key": out.key.user_key,
        "language": out.language,
        "text": [_compact_msg(m) for m in out.text],
    }
    if out.choices:
        data["choices"] = [
            {"id": c.id, "label": _compact_msg(c.label) if c.label.values else {"key": c.label.key}}
            for c in out.choices
        ]
    if out.expect is not Expect.NOTHING:
        data["expect"] = out.expect.value
    if out.screen:
        data["screen"] = out.screen
    if out.extras:
        data["extras"] = dict(out.extras)
    if out.end:
        data["end"] = True
    for name, value in (
        ("qr", out.qr),
        ("reference", out.reference),
        ("ticket", out.ticket),
        ("answer", out.answer),
    ):
        if value is not None:
            data[name] = value
    return data
