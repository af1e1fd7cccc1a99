"""`make bench-telegram`: a TV-announcement burst against Telegram's rate cap, and the
Telegram channel's CPU per update.

Telegram lets a bot send about 30 messages per second: at that cap, 5,000 replies take
167 s whatever the bot, so how long the last person waits says nothing about us. What
does: whether we keep to the cap without losing or repeating anything, how much later
than its place in the queue each reply goes (excess), whether people already in a
dialogue are answered at once meanwhile, whether the queue treats chats alike
(fairness), and how much CPU an update costs.

The local Bot API server (tests/fakes) runs in this process with the simulated people;
the bot (the app, its outbox worker and the Telegram channel: bench/telegram_bot.py) in a
process of its own, so the server's and the people's CPU is not counted as the bot's.

1. Capped (30 messages/s overall, 1/s per chat with short bursts, as Telegram): 2,000
   visit reminders wait in the outbox; 60 people have opened the bot and chosen their
   language; then 5,000 people write /start within 3 s, and the 60 go on with their
   registration, each from a moment of its own in the first 90 s, pausing a second
   before each answer. Figures: send rate over the cap, lost, sent twice, 429s left
   unhandled, the first contacts' reply time, excess (bench/telegram_figures.py),
   the dialogue's reply time (target p99 <= 2 s), fairness.
2. Cap off (bench/telegram_free.py): rounds of 600 people registering at once (the whole
   dialogue, bench/dialogue.py): updates handled per second and the bot's CPU per update;
   then, in the same bot process, 600 others' same dialogue straight through the engine
   (App.handle): the engine's own CPU per message. telegram_cpu/engine_cpu is what the
   channel adds per update (the bot's CPU per update minus the engine's) over the
   engine's (target <= 2), the median over the rounds.

The last line is machine-readable: `send_rate/cap=<r> lost=<n> sent_twice=<n>
unhandled_429=<n> reply_p99_s=<s> excess_p99_s=<s> dialogue_p99_s=<s> fairness=<j>
updates_per_s=<n> telegram_cpu/engine_cpu=<r>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

from bench.dialogue import make_users
from bench.telegram_bot import ROOT, UNCAPPED, ask, serve_bot, start_bot, stop_bot
from bench.telegram_figures import Reply, excess, fairness, quantile
from bench.telegram_free import Saturation, report_free, saturate
from bench.telegram_people import InDialogue, chat
from bench.viber_people import Inbox, repeats
from ecitizen.app import build_app
from ecitizen.config import parse_config
from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import InDoubt, notify
from flows.engine.records import Unit
from tests.fakes.bot_api_server import Cap, FakeBotApi
from tests.fakes.bot_api_users import BotMessage, FakeUser

__all__ = ["ROOT", "UNCAPPED", "start_bot", "stop_bot"]

STALL_S = 60.0  # no message sent for this long: what is missing is lost


@dataclass
class Burst:
    users: int
    reminders: int
    dialogues: int
    cap: float
    elapsed_s: float = 0.0
    send_rate: float = 0.0
    lost: int = 0
    duplicates: int = 0
    unhandled_429: int = 0
    unhandled_429_as_read_now: int = 0  # the server's count (see unhandled_429)
    throttled: int = 0
    stuck: int = 0  # people mid-dialogue answered, but not the way bench/dialogue.py goes on
    replies: list[Reply] = field(default_factory=list)
    rss_mb: float = 0.0

    def reply_s(self, first_contact: bool) -> list[float]:
        return [r.sent - r.written for r in self.replies if r.first_contact == first_contact]


# -- 1. the burst, capped -------------------------------------------------------------------


async def queue_reminders(data: str, people: list[FakeUser]) -> None:
    app = await build_app(parse_config({"data": {"dir": data}}))
    reminder = {
        "ref": "KG7Q-2A9F",
        "visit": "уторак, 01.12.2026 у 09:00",
        "hall": "Крагујевац, Градска управа",
        "address": "Трг слободе 3, Крагујевац",
    }
    effects = [
        notify(
            ConversationKey("telegram", str(p.id)),
            "sr-Cyrl",
            [Msg.of("notify.reminder", **reminder)],
            f"bench-remind:{p.id}",
            in_doubt=InDoubt.RESEND,
        )
        for p in people
    ]
    await app.store.apply(Unit(effects=effects))
    await app.close()


class Answered:
    """How many of the people who get one message (a reply to /start, a reminder) got it."""

    def __init__(self) -> None:
        self.count = 0

    def inbox(self) -> Inbox:
        answered = self

        class FirstCounted(Inbox):
            def append(self, message: BotMessage) -> None:
                if not self:  # the first message
                    answered.count += 1
                super().append(message)

        return FirstCounted()


async def until_all_sent(api: FakeBotApi, answered: Answered, expected: int) -> None:
    """Until every expected person has their message, or nothing more is sent for STALL_S."""
    while answered.count < expected:
        before = len(api.sent)
        try:
            await api.wait_until(lambda: answered.count >= expected, wait_s=STALL_S)
        except TimeoutError:
            if len(api.sent) == before:
                return


async def write_start(writers: list[FakeUser], spread_s: float) -> dict[int, float]:
    wrote: dict[int, float] = {}
    start = time.monotonic()
    for i, person in enumerate(writers):
        delay = start + spread_s * i / max(1, len(writers)) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        wrote[person.id] = time.monotonic()
        await person.send_text("/start")
    return wrote


async def burst(run: Burst, spread_s: float, dialogue_spread_s: float, think_s: float) -> None:
    async with FakeBotApi(cap=Cap(run.cap, burst=5), chat_cap=Cap(1.0, burst=4)) as api:
        answered = Answered()
        writers = [chat(api, f"Грађанин {i}", inbox=answered.inbox()) for i in range(run.users)]
        reminded = [
            chat(api, f"Подсетник {i}", inbox=answered.inbox()) for i in range(run.reminders)
        ]
        talking = [InDialogue(chat(api, u.first_name, None), u) for u in make_users(run.dialogues)]
        with tempfile.TemporaryDirectory(prefix="bench-telegram-") as data:
            if reminded:
                await queue_reminders(data, reminded)
            proc = await start_bot(api, data, capped=True)
            await asyncio.gather(*(d.begin() for d in talking))
            start = time.monotonic()
            going_on = asyncio.gather(
                *(
                    d.go_on(start + dialogue_spread_s * i / max(1, len(talking)), think_s)
                    for i, d in enumerate(talking)
                )
            )
            wrote = await write_start(writers, spread_s)
            await until_all_sent(api, answered, run.users + run.reminders)
            await going_on  # a person who cannot go on waits out a timeout meanwhile
            run.elapsed_s = max(m.sent_at for m in api.sent) - start
            run.rss_mb = (await ask(proc, "mem"))["rss_mb"]
            await stop_bot(proc)
        measure_burst(run, api, writers, reminded, talking, wrote)


def measure_burst(
    run: Burst,
    api: FakeBotApi,
    writers: list[FakeUser],
    reminded: list[FakeUser],
    talking: list[InDialogue],
    wrote: dict[int, float],
) -> None:
    times = sorted(m.sent_at for m in api.sent)
    if len(times) > 1:
        run.send_rate = (len(times) - 1) / (times[-1] - times[0])
    run.replies = [Reply(wrote[p.id], 1, p.inbox[0].sent_at, True) for p in writers if p.inbox]
    for d in talking:
        run.replies += [
            Reply(step.written, len(msgs), msgs[0].sent_at, False)
            for step, msgs in d.replies()
            if msgs
        ]
    once = writers + reminded
    run.lost = sum(1 for p in once if not p.inbox)
    run.lost += sum(1 for d in talking if not d.finished and not d.stuck)
    run.stuck = sum(1 for d in talking if d.stuck)
    run.duplicates = sum(len(p.inbox) - 1 for p in once if len(p.inbox) > 1)
    run.duplicates += sum(
        repeats([(m.text, json.dumps(m.markup)) for m in d.inbox]) for d in talking
    )
    run.unhandled_429 = unhandled_429(api)
    run.unhandled_429_as_read_now = api.unhandled_429()
    run.throttled = len(api.throttled)


# -- 2. cap off: updates per second, CPU per update -----------------------------------------


def unhandled_429(api: FakeBotApi) -> int:
    """Messages refused with 429 and never sent afterwards. The server's own count
    (FakeBotApi.unhandled_429) compares texts as they read now: a message whose keyboard
    was pressed since reads with the line saying what was chosen under it, so a refused
    message sent later counts as sent when a sent one reads as it, with or without that
    line."""
    sent: dict[int, list[str]] = {}
    for m in api.sent:
        sent.setdefault(m.chat_id, []).append(m.text)
    return len(
        {
            (chat, text)
            for chat, text in api.throttled
            if not any(t == text or t.startswith(text + "\n\n") for t in sent.get(chat, []))
        }
    )


# -- the report -----------------------------------------------------------------------------


def report_burst(capped: Burst) -> None:
    cap = capped.cap
    first, talking = capped.reply_s(True), capped.reply_s(False)
    print(
        f"capped at {cap:g} msg/s overall, 1/s per chat: {capped.users} users wrote /start, "
        f"{capped.dialogues} went on with their registration, {capped.reminders} reminders "
        f"queued; done in {capped.elapsed_s:.1f} s"
    )
    print(
        f"  sent {capped.send_rate:.2f} msg/s = {capped.send_rate / cap:.3f} of the cap; "
        f"lost {capped.lost}, sent twice {capped.duplicates}, "
        f"429 received {capped.throttled}, left unhandled {capped.unhandled_429} "
        f"({capped.unhandled_429_as_read_now} by texts as they read now, edits and all)"
    )
    print(
        f"  first contacts' reply p50 {quantile(first, 0.5):.1f} s, p99 "
        f"{quantile(first, 0.99):.1f} s (at the cap, {capped.users} replies alone take "
        f"{capped.users / cap:.0f} s); excess over the ideal p50 "
        f"{quantile(excess(capped.replies, cap), 0.5):.2f} s, p99 {excess_p99(capped):.2f} s; "
        f"fairness {fairness(capped.replies, cap):.3f}"
    )
    print(
        f"  in a dialogue meanwhile ({capped.stuck} could not go on as scripted): "
        f"{len(talking)} replies, p50 {quantile(talking, 0.5):.2f} s, "
        f"p99 {quantile(talking, 0.99):.2f} s, max {quantile(talking, 1.0):.2f} s; "
        f"bot process RSS {capped.rss_mb:.0f} MB"
    )


def excess_p99(run: Burst) -> float:
    return quantile(excess(run.replies, run.cap), 0.99)


def last_line(capped: Burst, free: Saturation) -> str:
    return (
        f"send_rate/cap={capped.send_rate / capped.cap:.3f} lost={capped.lost} "
        f"sent_twice={capped.duplicates} unhandled_429={capped.unhandled_429} "
        f"reply_p99_s={quantile(capped.reply_s(True), 0.99):.1f} "
        f"excess_p99_s={excess_p99(capped):.2f} "
        f"dialogue_p99_s={quantile(capped.reply_s(False), 0.99):.2f} "
        f"fairness={fairness(capped.replies, capped.cap):.3f} "
        f"updates_per_s={free.median('per_second'):.0f} "
        f"telegram_cpu/engine_cpu={free.median('channel_over_engine'):.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.telegram", description=__doc__)
    p.add_argument("--users", type=int, default=5000, help="first contacts in the burst")
    p.add_argument("--reminders", type=int, default=2000)
    p.add_argument("--dialogues", type=int, default=60, help="people mid-dialogue meanwhile")
    p.add_argument("--cap", type=float, default=30.0, help="Telegram's messages/s (default 30)")
    p.add_argument("--spread-s", type=float, default=3.0, help="the users write within this")
    p.add_argument("--dialogue-spread-s", type=float, default=90.0)
    p.add_argument("--think-s", type=float, default=1.0, help="pause before each answer")
    p.add_argument("--free-users", type=int, default=600, help="registering at once, cap off")
    p.add_argument("--rounds", type=int, default=3, help="of the cap-off run")
    p.add_argument("--quick", action="store_true", help="500 users, 200 reminders, 20 + 200")
    p.add_argument("--only-free", action="store_true", help="the cap-off run only")
    p.add_argument("--profile", metavar="PATH", help="cProfile the bot while saturated")
    p.add_argument("--py-spy", metavar="PATH", help="py-spy the bot while saturated (raw)")
    p.add_argument("--bot", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--api-url", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--no-cap", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.bot:
        if os.environ.get("BENCH_UVLOOP"):  # measured as an option: uvloop is no dependency
            import uvloop  # type: ignore[import-not-found]

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return asyncio.run(serve_bot(args.api_url, args.token, args.data, not args.no_cap))
    if args.quick:
        args.users, args.reminders, args.dialogues, args.free_users = 500, 200, 20, 200
        args.dialogue_spread_s, args.rounds = 10.0, 1
    free = Saturation(args.free_users)
    asyncio.run(saturate(free, args.rounds, args.profile, args.py_spy))
    capped = Burst(args.users, args.reminders, args.dialogues, args.cap)
    if not args.only_free:
        asyncio.run(burst(capped, args.spread_s, args.dialogue_spread_s, args.think_s))
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    if not args.only_free:
        report_burst(capped)
    report_free(free)
    if not args.only_free:
        print(last_line(capped, free))
    return 0


if __name__ == "__main__":
    sys.exit(main())
