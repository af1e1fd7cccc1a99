"""The queue at the hall: tickets at the kiosk, check-in, and officers calling them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.records import TicketStatus
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_citizen_dialogue import register_at_kiosk
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register
from tests.inbox import Inbox


async def take_ticket(kiosk: Chat, service: str = "Помоћ у коришћењу портала") -> str:
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Узми редни број")
    reply = await kiosk.picks(service)
    assert kiosk.last.ticket is not None and kiosk.last.end
    assert "Ваш редни број је" in reply
    return kiosk.last.ticket


async def test_walk_in_tickets_are_numbered_per_service(chat: Callable[..., Chat]) -> None:
    assert await take_ticket(chat("kg:s1", "kiosk")) == "B001"
    assert await take_ticket(chat("kg:s2", "kiosk")) == "B002"
    assert await take_ticket(chat("kg:s3", "kiosk"), "Отварање налога") == "A001"
    assert await take_ticket(chat("bg:s1", "kiosk")) == "B001"  # another hall counts alone


async def test_numbers_restart_the_next_day(chat: Callable[..., Chat], clock: Clock) -> None:
    assert await take_ticket(chat("kg:s1", "kiosk")) == "B001"
    clock.advance(days=1)
    assert await take_ticket(chat("kg:s2", "kiosk")) == "B001"


async def test_the_ticket_screen_tells_how_many_are_ahead(chat: Callable[..., Chat]) -> None:
    await take_ticket(chat("kg:s1", "kiosk"))
    third = chat("kg:s3", "kiosk")
    await take_ticket(chat("kg:s2", "kiosk"))
    await take_ticket(third)
    assert "Испред вас: 2" in third.text and "око 10 мин" in third.text


async def test_an_appointment_holder_checked_in_on_time_is_called_before_walk_ins(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])  # Tuesday 09:00
    clock.advance(days=1, minutes=50)  # Tuesday 08:50 in Kragujevac
    await take_ticket(chat("kg:walk1", "kiosk"), "Отварање налога")
    kiosk = chat("kg:s9", "kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    reply = await kiosk.says(ref.lower())  # a scanner types it; case does not matter
    assert f"Пријава {ref} је потврђена" in reply
    assert kiosk.last.ticket == "A002" and kiosk.last.reference == ref
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.CHECKED_IN

    mira = await enrolled(app, chat, "Мира")
    reply = await mira.picks("Позови следећи број")
    assert "Позван је број A002 на шалтер 1" in reply  # the appointment first
    await mira.picks("Отвори пријаву")
    assert ref in mira.text and "Ваша одлука?" in mira.text

    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    while await app.outbox.run_once():
        pass
    assert any("Ваш број A002 је позван: шалтер 1" in t for t in inbox.texts_for("ana"))


async def test_a_late_arrival_waits_with_the_walk_ins(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])  # Tuesday 09:00
    clock.advance(days=1, hours=3)  # Tuesday 11:00
    await take_ticket(chat("kg:walk1", "kiosk"), "Отварање налога")
    kiosk = chat("kg:s9", "kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    assert "ван заказаног термина" in await kiosk.says(ref)
    mira = await enrolled(app, chat, "Мира")
    assert "A001" in await mira.picks("Позови следећи број")


async def test_an_unknown_or_mistyped_code_is_asked_again(chat: Callable[..., Chat]) -> None:
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.command_language("en")
    await kiosk.picks("I have an appointment")
    assert "8 characters" in await kiosk.says("1234")
    assert "not valid" in await kiosk.says("K7M4-PX9M")  # check character wrong
    assert "cannot find" in await kiosk.says("K7M4-PX9N")  # valid, but nobody has it
    assert "Scan or type" in kiosk.text


async def test_officer_queue_actions_recall_served_no_show_transfer(
    app: App, chat: Callable[..., Chat]
) -> None:
    for n in range(3):
        await take_ticket(chat(f"kg:s{n}", "kiosk"))
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Позови следећи број")
    assert "Број B001 је поново позван" in await mira.picks("Позови поново")
    assert "Број B001 је услужен" in await mira.picks("Услужен")
    await mira.picks("Позови следећи број")
    assert "B002 је означен да није дошао" in await mira.picks("Није дошао")
    await mira.picks("Позови следећи број")
    await mira.picks("Пребаци на други шалтер")
    assert "пребачен на шалтер 2" in await mira.picks("Шалтер 2")
    day = app.halls["kg"].local_day(app.env.clock())
    tickets = {t.label: t for t in await app.store.tickets("kg", day)}
    assert tickets["B001"].status == TicketStatus.SERVED
    assert tickets["B002"].status == TicketStatus.NO_SHOW
    assert tickets["B003"].counter == "2"
    assert "Нико не чека" in await mira.picks("Позови следећи број")


async def test_registering_at_the_kiosk_for_a_later_day_gives_a_receipt_but_no_ticket(
    app: App, chat: Callable[..., Chat]
) -> None:
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.begins_registration()
    await kiosk.answers("Ана", "Петровић", "0512981717776", "012345678", "0641234567")
    await kiosk.picks("Прескочи")
    await kiosk.picks("среда")
    await kiosk.picks("10:00")
    await kiosk.picks("Пошаљи пријаву")
    assert kiosk.last.reference is not None and kiosk.last.ticket is None
    jobs = await app.store.print_jobs()
    assert [j.slip for j in jobs] == ["receipt"]
    assert jobs[0].payload["ref"] == kiosk.last.reference
    assert "jmbg" not in jobs[0].payload and "0512981717776" not in str(jobs[0].payload)


async def test_a_chat_is_told_when_its_turn_is_near(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])  # Tuesday 09:00
    clock.advance(days=1, hours=2)  # Tuesday 10:00: late, so she queues with the walk-ins
    for n in range(3):
        await take_ticket(chat(f"kg:w{n}", "kiosk"), "Отварање налога")  # A001-A003
    kiosk = chat("kg:s9", "kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    await kiosk.says(ref)
    assert kiosk.last.ticket == "A004"
    mira = await enrolled(app, chat, "Мира")
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    await mira.picks("Позови следећи број")  # A001 called: A004 is now 3rd in line
    while await app.outbox.run_once():
        pass
    told = inbox.texts_for("ana")
    assert any("Ускоро сте на реду" in t and "A004" in t for t in told)


async def test_a_screen_of_a_hall_not_set_up_here_says_so_and_issues_no_ticket(
    app: App, chat: Callable[..., Chat]
) -> None:
    # a hall taken out of the configuration while its screen still shows the start page
    kiosk = chat("zz:s1", "kiosk")
    await kiosk.command_language("en")
    menu = kiosk.last
    reply = await kiosk.picks("Take a queue ticket")
    assert "This screen is set up for counter hall zz, which is not known here" in reply
    assert "Nothing was done" in reply and kiosk.last.ticket is None
    day = app.halls["kg"].local_day(app.env.clock())
    for hall in app.halls:  # never a number in some other hall's queue
        assert await app.store.tickets(hall, day) == []
    reply = await kiosk.presses_on(menu, "Become an eCitizen")
    assert "not known here" in reply
    assert await app.store.print_jobs() == []


async def test_a_receipt_prints_beside_the_screen_even_when_the_visit_is_in_another_hall(
    tmp_path: Path, clock: Clock
) -> None:
    printers = {name: {"kind": "file", "dir": str(tmp_path / name)} for name in ("kg1", "bg1")}
    halls = [
        {"code": code, "name": name, "name_en": name, "address": "Трг 1", "printer": f"{code}1"}
        for code, name in (("kg", "Крагујевац"), ("bg", "Београд"))
    ]
    raw = {"data": {"dir": str(tmp_path / "var")}, "printers": printers, "halls": halls}
    app = await build_app(parse_config(raw), clock=clock)
    try:
        kiosk = Chat(app, "kg:s1", "kiosk")  # the screen in Kragujevac
        await kiosk.begins_registration()
        await kiosk.answers("Ана", "Петровић", "0512981717776", "012345678", "0641234567")
        await kiosk.picks("Прескочи")
        await kiosk.picks("среда")
        await kiosk.picks("10:00")
        await kiosk.picks("Промени шалтерску салу")  # the visit is in Belgrade after all
        await kiosk.picks("Београд")
        await kiosk.picks("среда")
        await kiosk.picks("10:00")
        await kiosk.picks("Пошаљи пријаву")
        assert kiosk.last.reference is not None
        jobs = await app.store.print_jobs()
        assert [(j.slip, j.printer) for j in jobs] == [("receipt", "kg1")]
        assert jobs[0].payload["hall"]["name"] == "Београд"
    finally:
        await app.close()


async def test_the_called_ticket_says_at_which_counter_right_away(
    app: App, chat: Callable[..., Chat]
) -> None:
    await take_ticket(chat("kg:s1", "kiosk"))
    mira = await enrolled(app, chat, "Мира", counter="2")
    reply = await mira.picks("Позови следећи број")
    assert "Број B001 · шалтер 2" in reply  # not "шалтер " with nothing after it
    assert "Број B001 · шалтер 2" in await mira.picks("Позови поново")


async def test_the_first_in_line_is_told_nobody_is_ahead_not_a_zero(
    chat: Callable[..., Chat],
) -> None:
    first = chat("kg:s1", "kiosk")
    await take_ticket(first)
    assert "Нико није испред вас" in first.text and "Испред вас: 0" not in first.text
    second = chat("kg:s2", "kiosk")
    await take_ticket(second)
    assert "Испред вас: 1" in second.text


async def test_a_registration_decided_from_the_waiting_list_leaves_the_queue(
    app: App, chat: Callable[..., Chat]
) -> None:
    """Served from the waiting list, the person's queue number is not called to a counter
    afterwards, nor counted on the display as waiting."""
    approved = await register_at_kiosk(chat("kg:s1", "kiosk"))  # A001
    rejected = await register_at_kiosk(chat("kg:s2", "kiosk"), ticket="A002")
    mira = await enrolled(app, chat, "Мира")
    for ref, decision, then in ((approved, "Одобри", "Да"), (rejected, "Одбиј", "не слажу")):
        await mira.picks("Пријаве на чекању")
        await mira.picks(ref)
        await mira.picks(decision)
        await mira.picks(then)
    assert "Нико не чека" in await mira.picks("Позови следећи број")
    day = app.halls["kg"].local_day(app.env.clock())
    tickets = {t.label: t.status for t in await app.store.tickets("kg", day)}
    assert tickets == {"A001": TicketStatus.SERVED, "A002": TicketStatus.SERVED}


async def test_a_registration_decided_from_its_called_number_marks_the_number_served(
    app: App, chat: Callable[..., Chat]
) -> None:
    await register_at_kiosk(chat("kg:s1", "kiosk"))  # A001
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Позови следећи број")
    await mira.picks("Отвори пријаву")
    await mira.picks("Одобри")
    await mira.picks("Да")
    day = app.halls["kg"].local_day(app.env.clock())
    [ticket] = await app.store.tickets("kg", day)
    assert ticket.status == TicketStatus.SERVED and ticket.finished_at is not None


async def test_a_closed_hall_issues_no_ticket_and_says_when_it_opens(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    clock.advance(days=5, hours=2)  # Saturday 10:00: the halls open Monday to Friday
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.command_language("sr-Latn")
    await kiosk.picks("Uzmi redni broj")
    reply = await kiosk.picks("Pomoć u korišćenju portala")
    assert "Sala je sada zatvorena, pa redni broj nije izdat" in reply
    assert "ponedeljak, 07.12.2026 u 08:00" in reply
    assert "nekoliko minuta" not in reply and kiosk.last.ticket is None
    assert await app.store.tickets("kg", app.halls["kg"].local_day(clock())) == []


async def test_a_check_in_after_closing_time_waits_for_the_hall_to_open(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])  # Tuesday 09:00
    clock.advance(hours=9)  # Monday 17:00: the hall closed at 16:00
    kiosk = chat("kg:s9", "kiosk")
    await kiosk.command_language("en")
    await kiosk.picks("I have an appointment")
    reply = await kiosk.says(ref)
    assert f"The hall is closed now, so registration {ref} was not checked in" in reply
    assert "the hall opens Tuesday, 01.12.2026 at 08:00" in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.SUBMITTED


async def test_registering_at_a_closed_halls_screen_keeps_the_registration_without_a_ticket(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    clock.advance(hours=-1)  # Monday 07:00: an hour before opening
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.begins_registration()
    await kiosk.answers("Ана", "Петровић", "0512981717776", "012345678", "0641234567")
    await kiosk.picks("Прескочи")
    await kiosk.picks("Долазим без заказивања")
    reply = await kiosk.picks("Пошаљи пријаву")
    ref = kiosk.last.reference
    assert ref is not None and kiosk.last.ticket is None
    assert "Сала је сада затворена, па вам редни број није издат" in reply
    assert f"понедељак, 30.11.2026 у 08:00) и потврдите долазак на екрану шифром {ref}" in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.SUBMITTED
