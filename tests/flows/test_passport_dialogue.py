"""Coming with a passport instead of an ID card: asked, checked, named everywhere, never
printed."""

from __future__ import annotations

from collections.abc import Callable

from ecitizen.app import App
from flows.domain.lifecycle import RegistrationStatus
from printing.slip_layout import slip_from_payload
from tests.conftest import START
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled

PASSPORT = "001234567"


async def up_to_the_document(ana: Chat) -> None:
    await ana.begins_registration()
    await ana.answers("Ана", "Петровић", "0512981717776")
    assert "Долазите са пасошем? Притисните „Пасош”" in ana.text


async def test_a_citizen_registers_with_a_passport_and_the_officer_compares_it(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    await up_to_the_document(ana)
    assert "Упишите број пасоша (9 цифара" in await ana.picks("Пасош")
    assert "тачно 9 цифара" in await ana.says("12345678")  # eight digits: an ID card's
    assert "само цифре" in await ana.says("P1234567")
    assert "мобилног телефона" in await ana.says("001 234 567")
    await ana.says("064 123 4567")
    await ana.picks("Прескочи")
    await ana.picks("Крагујевац")
    await ana.picks("уторак")
    summary = await ana.picks("09:00")
    assert f"Број пасоша: {PASSPORT}" in summary and "Број личне карте" not in summary
    done = await ana.picks("Пошаљи пријаву")
    assert "Понесите важећи пасош" in done
    ref = ana.last.reference
    assert ref is not None
    reg = await app.store.get_registration(ref)
    assert reg is not None and (reg.document, reg.id_number) == ("passport", PASSPORT)

    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    review = await mira.says(ref)
    assert f"Број пасоша: {PASSPORT}" in review and "Упоредите податке са пасошем." in review
    assert "проверили пасош" in await mira.picks("Одобри")
    await mira.picks("Да")
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status is RegistrationStatus.APPROVED
    for job in await app.store.print_jobs():
        assert PASSPORT not in str(job.payload)  # never printed


async def test_changing_the_mind_between_id_card_and_passport_keeps_the_right_one(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    await up_to_the_document(ana)
    await ana.picks("Пасош")
    assert "Број личне карте" not in ana.text
    await ana.picks("Лична карта")  # after all
    await ana.answers("012345678", "064 123 4567")
    await ana.picks("Прескочи")
    await ana.picks("Крагујевац")
    await ana.picks("уторак")
    summary = await ana.picks("09:00")
    assert "Број личне карте: 012345678" in summary
    # from the summary, to the passport
    await ana.picks("број личне карте")
    await ana.says("пасош")  # typed, the button's word
    summary = await ana.says(PASSPORT)
    assert f"Број пасоша: {PASSPORT}" in summary
    await ana.picks("Пошаљи пријаву")
    reg = await app.store.get_registration(ana.last.reference or "")
    assert reg is not None and reg.document == "passport"


async def test_the_kiosk_receipt_names_the_passport_and_never_its_number(
    app: App, chat: Callable[..., Chat]
) -> None:
    kiosk = chat("kg:s1", channel="kiosk")
    await kiosk.begins_registration()
    await kiosk.answers("Ана", "Петровић", "0512981717776")
    await kiosk.picks("Пасош")
    await kiosk.answers(PASSPORT, "064 123 4567")
    await kiosk.picks("Прескочи")
    await kiosk.picks("уторак")
    await kiosk.picks("09:00")
    await kiosk.picks("Пошаљи пријаву")
    receipts = [j for j in await app.store.print_jobs() if j.slip == "receipt"]
    assert len(receipts) == 1 and PASSPORT not in str(receipts[0].payload)
    slip = slip_from_payload("receipt", receipts[0].payload, now=START)
    assert "- важећи пасош" in slip.lines() and "- важећу личну карту" not in slip.lines()


async def test_the_summary_offers_to_change_the_passport_number_as_a_passport_number(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    await up_to_the_document(ana)
    await ana.picks("Пасош")
    await ana.answers(PASSPORT, "064 123 4567")
    await ana.picks("Прескочи")
    await ana.picks("Крагујевац")
    await ana.picks("уторак")
    await ana.picks("09:00")
    assert "Промени број пасоша" in ana.choices and "Промени број личне карте" not in ana.choices
    assert "Упишите број пасоша" in await ana.picks("Промени број пасоша")
    summary = await ana.says("009876543")
    assert "Број пасоша: 009876543" in summary
    await ana.picks("Пошаљи пријаву")
    reg = await app.store.get_registration(ana.last.reference or "")
    assert reg is not None and (reg.document, reg.id_number) == ("passport", "009876543")


async def test_a_passport_holder_turned_down_for_a_mismatch_is_not_told_about_an_id_card(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    await up_to_the_document(ana)
    await ana.picks("Пасош")
    await ana.answers(PASSPORT, "064 123 4567")
    await ana.picks("Прескочи")
    await ana.picks("Крагујевац")
    await ana.picks("уторак")
    await ana.picks("09:00")
    await ana.picks("Пошаљи пријаву")
    ref = ana.last.reference or ""
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одбиј")
    assert "подаци се не слажу са личном картом или пасошем" in mira.choices
    await mira.picks("не слажу")
    status = await ana.picks("Моја пријава")
    assert "Разлог: подаци се не слажу са личном картом или пасошем" in status


async def test_an_id_card_number_with_leading_zeros_is_the_number_not_the_first_button(
    app: App, chat: Callable[..., Chat]
) -> None:
    """Typing "1" means the first button; "000000001" is a nine-digit ID card number."""
    ana = chat("ana")
    await up_to_the_document(ana)
    assert "мобилног телефона" in await ana.says("000000001")
    await ana.says("064 123 4567")
    await ana.picks("Прескочи")
    await ana.picks("Крагујевац")
    await ana.picks("уторак")
    summary = await ana.picks("09:00")
    assert "Број личне карте: 000000001" in summary and "Број пасоша" not in summary
