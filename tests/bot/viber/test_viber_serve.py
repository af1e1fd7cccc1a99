"""`ecitizen serve` with a Viber token, as a real subprocess: start-up, the webhook, a
wrong token, `ecitizen viber set-webhook`, and a SIGKILL between commit and send."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.bot.viber.vb_support import free_port
from tests.commands import start_ecitizen
from tests.fakes.viber_api import FakeViberApi


def viber_config(tmp_path: Path, api: FakeViberApi, port: int, token: str | None = None) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n'
        f"[server]\nport = {port}\n"
        f'[links]\nsecret = "a shared secret for every process"\n'
        f'[viber]\ntoken = "{token or api.token}"\napi_url = "{api.url}"\n'
        f'public_url = "http://127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    return config


async def ecitizen(config: Path, *args: str) -> asyncio.subprocess.Process:
    return await start_ecitizen(
        config,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def serving(api: FakeViberApi, config: Path) -> asyncio.subprocess.Process:
    """`ecitizen serve`, once Viber accepted its webhook (it checked it with a callback)."""
    before = api.calls["set_webhook"]
    proc = await ecitizen(config, "serve")
    await api.wait_until(
        lambda: api.calls["set_webhook"] > before and api.webhook is not None, wait_s=60
    )
    return proc


async def stop(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
    assert proc.stderr is not None
    return (await proc.stderr.read()).decode()


async def test_the_server_registers_its_webhook_and_answers_in_viber(tmp_path: Path) -> None:
    async with FakeViberApi() as api:
        port = free_port()
        proc = await serving(api, viber_config(tmp_path, api, port))
        try:
            assert api.webhook == f"http://127.0.0.1:{port}/viber/webhook"
            ana = api.user("Ана", language="en")
            assert await ana.open_chat() == 200
            assert "Welcome" in ana.inbox[0].text and "Become an eCitizen" in ana.buttons
        finally:
            log = await stop(proc)
        assert "Viber bot ecitizen-test started" in log and "Traceback" not in log


async def test_a_wrong_token_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    async with FakeViberApi() as api:
        wrong = "0123456789abcdef-wrong-token-0123456789"
        proc = await ecitizen(viber_config(tmp_path, api, free_port(), token=wrong), "serve")
        assert await asyncio.wait_for(proc.wait(), timeout=60) == 2
        assert proc.stderr is not None
        said = (await proc.stderr.read()).decode()
        assert "Viber refused the bot token" in said and "ECITIZEN_VIBER_TOKEN" in said
        assert wrong not in said


async def test_viber_set_webhook_registers_the_running_servers_route(tmp_path: Path) -> None:
    async with FakeViberApi() as api:
        port = free_port()
        config = viber_config(tmp_path, api, port)
        proc = await serving(api, config)
        try:
            command = await ecitizen(config, "viber", "set-webhook")
            out, _ = await asyncio.wait_for(command.communicate(), timeout=60)
            assert command.returncode == 0
            assert f"Viber webhook set: http://127.0.0.1:{port}/viber/webhook" in out.decode()
            assert api.calls["set_webhook"] == 2
        finally:
            await stop(proc)

        # With the server down, Viber's check fails and the command says so.
        command = await ecitizen(config, "viber", "set-webhook")
        _, err = await asyncio.wait_for(command.communicate(), timeout=60)
        assert command.returncode == 1 and "could not register the webhook" in err.decode()


async def test_killed_between_commit_and_send_the_person_still_gets_the_next_question(
    tmp_path: Path,
) -> None:
    async with FakeViberApi(retry_delay_s=0.2, retry_for_s=120) as api:
        port = free_port()
        config = viber_config(tmp_path, api, port)
        first = await serving(api, config)
        ana = api.user("Ана")
        try:
            assert await ana.open_chat() == 200
            for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
                assert await ana.press(label) == 200
            assert await ana.send_text("Ана") == 200
            ana.unread()

            # Her last name is committed, then our send of the next question hangs.
            api.hold_sends_to.add(ana.id)
            answering = asyncio.create_task(ana.send_text("Петровић"))
            await api.wait_until(lambda: api.held == 1, wait_s=60)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
        api.hold_sends_to.clear()

        second = await serving(api, config)  # Viber keeps retrying the callback meanwhile
        try:
            assert await asyncio.wait_for(answering, timeout=120) == 200
            got = [m.text for m in ana.unread()]
            assert len(got) == 1 and "ЈМБГ" in got[0], got  # the next question, once
            await ana.send_text("0512981717776")  # and her answers go on from there
            assert "број личне карте" in ana.unread()[-1].text
        finally:
            await stop(second)
