"""The `ecitizen` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from datetime import timedelta
from pathlib import Path

from bot.terminal import CHANNEL, TerminalDelivery, run_terminal
from ecitizen.app import build_app, utc_now
from ecitizen.config import Config, ConfigError, load_config, printer_configs
from ecitizen.diagram import markdown
from ecitizen.print_cli import add_print_parser, run_print_command
from ecitizen.report import add_report_parser, run_report
from flows.assembly import FLOWS
from flows.messages import ConversationKey
from flows.officer import invite_hash, new_invite_code
from flows.records import OfficerInvite

log = logging.getLogger("ecitizen")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecitizen", description="The eCitizen assistant.")
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="a TOML file (default: ./config.toml if it exists)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="the server: kiosk, hall display, web chat, bots")
    chat = sub.add_parser("chat", help="the terminal chat")
    chat.add_argument("--as-officer", metavar="CODE", help="enroll as an officer with a code")
    chat.add_argument("--user", default=None, help="who you are in this chat (default: you)")
    officer = sub.add_parser("officer", help="officers: invite, list, revoke")
    osub = officer.add_subparsers(dest="action", required=True)
    invite = osub.add_parser("invite")
    invite.add_argument("--hall", required=True)
    invite.add_argument("--name", required=True)
    osub.add_parser("list")
    revoke = osub.add_parser("revoke")
    revoke.add_argument("id", type=int)
    sub.add_parser("purge", help="erase personal data past the retention period")
    db = sub.add_parser("db", help="the database")
    db.add_argument("action", choices=["migrate"])
    flows = sub.add_parser("flows", help="flows: draw a diagram")
    flows.add_argument("action", choices=["diagram"])
    flows.add_argument("flow", choices=[f.name for f in FLOWS])
    add_print_parser(sub)
    add_report_parser(sub)
    return p


def _config(path: Path | None) -> Config:
    if path is None and Path("config.toml").exists():
        path = Path("config.toml")
    return load_config(path)


async def _chat(config: Config, as_officer: str | None, user: str | None) -> None:
    app = await build_app(config)
    key = ConversationKey(CHANNEL, user or getpass.getuser())
    app.add_delivery(CHANNEL, TerminalDelivery(key, sys.stdout.write))
    app.start_workers()
    try:
        first = f"/officer {as_officer}" if as_officer else "/start"
        await run_terminal(app.handle, key, first=first)
    finally:
        await app.close()


async def _officer(config: Config, args: argparse.Namespace) -> int:
    app = await build_app(config)
    try:
        if args.action == "invite":
            if args.hall not in app.halls:
                sys.stderr.write(f"unknown hall {args.hall!r}; known: {', '.join(app.halls)}\n")
                return 2
            code = new_invite_code()
            expires = utc_now() + timedelta(hours=config.engine.invite_hours)
            await app.store.add_invite(
                OfficerInvite(invite_hash(code), args.name, args.hall, expires)
            )
            sys.stdout.write(
                f"One-time enrollment code for {args.name} at {args.hall}: {code}\n"
                f"It expires {expires:%Y-%m-%d %H:%M} UTC. In the chat, send: /officer {code}\n"
            )
        elif args.action == "list":
            for o in await app.store.officers():
                state = "active" if o.active else "revoked"
                linked = f"{o.channel}" if o.channel else "not enrolled"
                sys.stdout.write(
                    f"{o.id}\t{o.name}\t{o.hall}\tcounter {o.counter or '-'}\t{linked}\t{state}\n"
                )
        elif args.action == "revoke":
            ok = await app.store.revoke_officer(args.id)
            sys.stdout.write("revoked\n" if ok else "no such officer\n")
            return 0 if ok else 1
        return 0
    finally:
        await app.close()


async def _purge(config: Config) -> int:
    app = await build_app(config)
    try:
        now = utc_now()
        expired = await app.store.expire_due(now)
        erased = await app.store.purge(now - timedelta(days=config.engine.retention_days))
        sys.stdout.write(
            f"expired {len(expired)} registrations; erased personal data of {erased}\n"
        )
        return 0
    finally:
        await app.close()


async def _migrate(config: Config) -> int:
    app = await build_app(config)
    try:
        version = await app.store.migrate()
        sys.stdout.write(f"schema version {version}\n")
        return 0
    finally:
        await app.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # force: importing python-escpos has already called basicConfig
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger("transitions.core").setLevel(logging.WARNING)
    try:
        config = _config(args.config)
    except ConfigError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    if args.command == "chat":
        asyncio.run(_chat(config, args.as_officer, args.user))
        return 0
    if args.command == "officer":
        return asyncio.run(_officer(config, args))
    if args.command == "purge":
        return asyncio.run(_purge(config))
    if args.command == "db":
        return asyncio.run(_migrate(config))
    if args.command == "flows":
        flow = next(f for f in FLOWS if f.name == args.flow)
        sys.stdout.write(markdown(flow))
        return 0
    if args.command == "report":
        return asyncio.run(run_report(config, args))
    if args.command == "print":
        return run_print_command(args, printer_configs(config))
    if args.command == "serve":
        from ecitizen.server import serve

        return asyncio.run(serve(config))
    return 2


if __name__ == "__main__":
    sys.exit(main())
