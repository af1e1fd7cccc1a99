"""`ecitizen report activation`: what the supervisor sees of approvals, first logins and
where people got stuck, per hall and day, as a table and as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ecitizen.app import App
from ecitizen.report import activation_figures, as_csv, as_table
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.ecitizen.test_cli import run
from tests.flows.test_activation_dialogue import to_step
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register

DAY = date(2026, 11, 30)


async def two_approved_one_logged_in(app: App, chat: Callable[..., Chat], clock: Clock) -> None:
    """Ana and Bob are approved on Monday; Ana is stuck at the QR code, then logs in on
    Tuesday; Bob cannot install the app (no space) and stays approved."""
    ana, bob = chat("ana"), chat("bob")
    refs = [await register(ana, WORDS["sr-Cyrl"]), await register(bob, WORDS["sr-Cyrl"])]
    mira = await enrolled(app, chat, "Мира")
    for ref in refs:
        await mira.picks("Отвори по шифри")
        await mira.says(ref)
        await mira.picks("Одобри")
        await mira.picks("Да")
    await to_step(ana, "activate")
    await ana.picks("Не ради")
    await ana.picks("QR код се не скенира")
    await to_step(bob, "install")
    await bob.picks("Не ради")
    await bob.picks("Нема места на телефону")
    clock.advance(days=1)
    await to_step(ana, "login")
    await ana.picks("Урађено")


async def test_the_report_counts_per_day_and_names_where_people_got_stuck(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    await two_approved_one_logged_in(app, chat, clock)
    figures = await activation_figures(app.store, app.halls["kg"], DAY, date(2026, 12, 1), clock())
    monday, tuesday = figures.days[DAY], figures.days[date(2026, 12, 1)]
    assert (monday.approved, monday.activated, tuesday.approved) == (2, 1, 0)
    assert monday.stuck == {("activate", "qr_not_scanning"): 1, ("install", "no_space"): 1}
    table = as_table(figures)
    assert "Kragujevac City Administration (kg), 2026-11-30 to 2026-12-01" in table
    assert "2026-11-30          2          1    50%" in table
    assert "Total               2          1    50%" in table
    assert "2026-11-30  1 installing      There is no space on the phone" in table
    assert "2026-11-30  4 activation      The QR code does not scan" in table
    rows = list(csv.DictReader(io.StringIO(as_csv(figures))))
    assert {
        "hall": "kg",
        "day": "2026-11-30",
        "measure": "activated",
        "step": "",
        "problem": "",
        "count": "1",
    } in rows
    assert {
        "hall": "kg",
        "day": "2026-11-30",
        "measure": "stuck",
        "step": "activate",
        "problem": "qr_not_scanning",
        "count": "1",
    } in rows
    other = await activation_figures(app.store, app.halls["ns"], DAY, DAY, clock())
    assert other.approved == 0 and "nobody reported a problem" in as_table(other)


async def test_the_command_prints_the_table_or_csv(
    app: App, chat: Callable[..., Chat], clock: Clock, tmp_path: Path
) -> None:
    await two_approved_one_logged_in(app, chat, clock)
    config = tmp_path / "report.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")
    period = ("--hall", "kg", "--from", "2026-11-30", "--to", "2026-12-06")
    table = run(config, "report", "activation", *period)
    assert table.returncode == 0, table.stderr
    assert "Total               2          1    50%" in table.stdout
    as_csv_out = run(config, "report", "activation", *period, "--csv")
    assert as_csv_out.stdout.splitlines()[0] == "hall,day,measure,step,problem,count"
    assert "kg,2026-11-30,stuck,install,no_space,1" in as_csv_out.stdout
    unknown = run(
        config, "report", "activation", "--hall", "xx", "--from", "2026-11-30", "--to", "2026-11-30"
    )
    assert unknown.returncode == 2 and "unknown hall 'xx'" in unknown.stderr
    backwards = run(
        config, "report", "activation", "--hall", "kg", "--from", "2026-12-01", "--to", "2026-11-30"
    )
    assert backwards.returncode == 2
