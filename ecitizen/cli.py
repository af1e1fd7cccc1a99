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
from bot.terminal_screen import open_screen
from ecitizen import logs
from ecitizen.app import opened, utc_now
from ecitizen.config import Config, ConfigError, LoggingSettings, load_config, printer_configs
from ecitizen.db_cli import add_db_parser, run_copy
from ecitizen.diagram import markdown
from ecitizen.print_cli import UnknownHall, add_print_parser, deployment_sample, run_print_command
from ecitizen.purge import purge_once
from ecitizen.report import add_report_parser, run_report
from flows.conversations.assembly import FLOWS
from flows.conversations.officer import invite_hash, new_invite_code
from flows.engine.messages import ConversationKey
from flows.engine.records import OfficerInvite

log = logging.getLogger("ecitizen")
AUDIT_LIMIT = 100_000  # a registration's whole history


CONFIG_HELP = "a TOML file (default: ./config.toml if it exists)"


def _config_after_every_subcommand(parser: argparse.ArgumentParser) -> None:
    """`ecitizen serve --config FILE` as well as `ecitizen --config FILE serve`, for every
    subcommand, also those added later; given twice, the later one counts."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                # SUPPRESS: absent here, it leaves what was given before the subcommand
                sub.add_argument(
                    "--config",
                    type=Path,
                    default=argparse.SUPPRESS,
                    metavar="FILE",
                    help=CONFIG_HELP,
                )
                _config_after_every_subcommand(sub)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecitizen", description="The eCitizen assistant.")
    p.add_argument("--config", type=Path, default=None, metavar="FILE", help=CONFIG_HELP)
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="the server: kiosk, hall display, web chat, bots")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="server processes on the one port (default: [server] workers; >1 needs PostgreSQL)",
    )
    chat = sub.add_parser("chat", help="the terminal chat")
    chat.add_argument("--as-officer", metavar="CODE", help="enroll as an officer with a code")
    chat.add_argument("--user", default=None, help="who you are in this chat (default: you)")
    officer = sub.add_parser("officer", help="officers: invite, list, revoke")
    osub = officer.add_subparsers(dest="action", required=True)
    invite = osub.add_parser("invite")
    invite.add_argument("--hall", required=True)
    invite.add_argument("--name", required=True)
    invite.add_argument(
        "--supervisor",
        action="store_true",
        help="sees who holds which registration of the hall and can release any of them",
    )
    osub.add_parser("list")
    revoke = osub.add_parser("revoke")
    revoke.add_argument("id", type=int)
    sub.add_parser("purge", help="erase personal data past the retention period")
    audit = sub.add_parser("audit", help="the audit log: a registration's history")
    audit.add_argument("--ref", required=True, help="the registration's reference code")
    add_db_parser(sub)
    flows = sub.add_parser("flows", help="flows: draw a diagram")
    flows.add_argument("action", choices=["diagram"])
    flows.add_argument("flow", choices=[f.name for f in FLOWS])
    add_print_parser(sub)
    add_report_parser(sub)
    viber = sub.add_parser("viber", help="the Viber bot")
    viber.add_argument("action", choices=["set-webhook"], help="register our callback URL")
    _config_after_every_subcommand(p)
    return p


def _config(path: Path | None) -> Config:
    if path is None and Path("config.toml").exists():
        path = Path("config.toml")
    return load_config(path)


async def _chat(config: Config, as_officer: str | None, user: str | None) -> None:
    async with opened(config) as app:
        key = ConversationKey(CHANNEL, user or getpass.getuser())
        screen = open_screen()
        # this person's notices only: other terminals' people are other processes'
        app.add_delivery(CHANNEL, TerminalDelivery(screen), users=[key.user_key])
        app.start_workers()
        try:
            first = f"/officer {as_officer}" if as_officer else "/start"
            await run_terminal(app.handle, key, screen, first=first)
        finally:
            screen.close()


async def _officer(config: Config, args: argparse.Namespace) -> int:
    async with opened(config) as app:
        if args.action == "invite":
            if args.hall not in app.halls:
                sys.stderr.write(f"unknown hall {args.hall!r}; known: {', '.join(app.halls)}\n")
                return 2
            code = new_invite_code()
            expires = utc_now() + timedelta(hours=config.engine.invite_hours)
            await app.store.add_invite(
                OfficerInvite(invite_hash(code), args.name, args.hall, expires, args.supervisor)
            )
            role = "supervisor" if args.supervisor else "officer"
            sys.stdout.write(
                f"One-time enrollment code for {args.name} ({role}) at {args.hall}: {code}\n"
                f"It expires {expires:%Y-%m-%d %H:%M} UTC. In the chat, send: /officer {code}\n"
            )
        elif args.action == "list":
            for o in await app.store.officers():
                state = "active" if o.active else "revoked"
                linked = f"{o.channel}" if o.channel else "not enrolled"
                role = "supervisor" if o.supervisor else "officer"
                sys.stdout.write(
                    f"{o.id}\t{o.name}\t{o.hall}\tcounter {o.counter or '-'}\t{linked}\t"
                    f"{state}\t{role}\n"
                )
        elif args.action == "revoke":
            revoked = await app.store.revoke_officer(args.id)
            if revoked is None:
                sys.stdout.write("no such officer\n")
                return 1
            sys.stdout.write("revoked\n")
            if revoked.released:
                sys.stdout.write(f"back on the waiting list: {', '.join(revoked.released)}\n")
        return 0


async def _purge(config: Config) -> int:
    async with opened(config) as app:
        report = await purge_once(app)
        if report is None:
            sys.stderr.write("another process is purging right now; nothing done, try later\n")
            return 1
        sys.stdout.write(f"{report}\n")
        return 0


async def _audit(config: Config, ref: str) -> int:
    """A registration's history, oldest first: who did what, and who was shown its data."""
    async with opened(config) as app:
        entries = await app.store.audit_log(ref.strip().upper(), limit=AUDIT_LIMIT)
        if not entries:
            sys.stderr.write(f"nothing in the audit log for {ref}\n")
            return 1
        names = {f"officer:{o.id}": o.name for o in await app.store.officers()}
        for entry in reversed(entries):
            at = entry.at.strftime("%Y-%m-%d %H:%M:%S UTC") if entry.at else "-"
            who = f"{entry.actor} ({names[entry.actor]})" if entry.actor in names else entry.actor
            sys.stdout.write(f"{at}\t{who}\t{entry.action}\t{entry.detail or ''}\n")
        return 0


async def _migrate(config: Config) -> int:
    async with opened(config) as app:
        version = await app.store.migrate()
        sys.stdout.write(f"schema version {version}\n")
        return 0


async def _viber_set_webhook(config: Config) -> int:
    """What `ecitizen serve` does at start-up: it needs that server running (Viber calls
    the URL back before it answers)."""
    from bot.viber import ViberApi, ViberStartError, register_webhook, webhook_url

    settings = config.viber
    if not settings.token or not settings.public_url:
        sys.stderr.write("set [viber] token (or ECITIZEN_VIBER_TOKEN) and [viber] public_url\n")
        return 2
    api = ViberApi(settings.token, settings.api_url)
    url = webhook_url(settings.public_url)
    try:
        await register_webhook(api, url)
    except ViberStartError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    finally:
        await api.close()
    sys.stdout.write(f"Viber webhook set: {url}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure(LoggingSettings())  # until the settings are read
    try:
        config = _config(args.config)
    except ConfigError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    logs.configure(config.logging)
    if args.command == "chat":
        try:
            asyncio.run(_chat(config, args.as_officer, args.user))
        except KeyboardInterrupt:  # Ctrl-C: the chat is closed as at the end of input
            sys.stdout.write("\n")
            return 130
        return 0
    if args.command == "officer":
        return asyncio.run(_officer(config, args))
    if args.command == "purge":
        return asyncio.run(_purge(config))
    if args.command == "audit":
        return asyncio.run(_audit(config, args.ref))
    if args.command == "db":
        return asyncio.run(run_copy(args) if args.action == "copy" else _migrate(config))
    if args.command == "flows":
        flow = next(f for f in FLOWS if f.name == args.flow)
        sys.stdout.write(markdown(flow))
        return 0
    if args.command == "report":
        return asyncio.run(run_report(config, args))
    if args.command == "print":
        try:
            sample = deployment_sample(config, args.hall, getattr(args, "printer", None))
        except UnknownHall as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
        return run_print_command(args, printer_configs(config), sample)
    if args.command == "viber":
        return asyncio.run(_viber_set_webhook(config))
    if args.command == "serve":
        workers = config.server.workers if args.workers is None else args.workers
        if workers != 1:
            from ecitizen.workers import serve_workers

            if workers < 1:
                sys.stderr.write("--workers must be 1 or more\n")
                return 2
            return serve_workers(config, workers)
        from ecitizen.server import serve

        return asyncio.run(serve(config))
    return 2


if __name__ == "__main__":
    sys.exit(main())
