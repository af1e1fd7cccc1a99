"""From "approved" to "logged in": the ConsentID guide as the citizen and the officer live it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.terminal import render_outbound
from ecitizen.app import App
from flows.conversations.activation import PROBLEMS, STEPS
from flows.domain.lifecycle import RegistrationStatus
from flows.domain.refcode import new_ref
from flows.engine.i18n import render
from flows.engine.messages import Msg, Outbound
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register
from tests.inbox import Inbox

LABELS = {
    "sr-Cyrl": {
        "start": "Подеси ConsentID сада",
        "phone": "Какав телефон имате?",
        "step": "корак {n} од 6",
        "done": "Урађено",
        "congrats": "Честитамо! Пријавили сте се",
        "mailbox": "Шта је моје еСандуче?",
        "mailbox_text": "службена документа електронски",
        "status": "Моја пријава",
        "active": "налог је активан",
    },
    "sr-Latn": {
        "start": "Podesi ConsentID sada",
        "phone": "Kakav telefon imate?",
        "step": "korak {n} od 6",
        "done": "Urađeno",
        "congrats": "Čestitamo! Prijavili ste se",
        "mailbox": "Šta je moje eSanduče?",
        "mailbox_text": "službena dokumenta elektronski",
        "status": "Moja prijava",
        "active": "nalog je aktivan",
    },
    "en": {
        "start": "Set up ConsentID now",
        "phone": "What phone do you have?",
        "step": "step {n} of 6",
        "done": "Done",
        "congrats": "Congratulations! You logged in",
        "mailbox": "What is my eMailbox?",
        "mailbox_text": "official documents there electronically",
        "status": "My registration",
        "active": "account active",
    },
}

# a few words of each problem's plain answer (sr-Cyrl)
FIXES = {
    "no_space": "Обришите неколико старих фотографија",
    "store_account": "Google налог (Android) или Apple ID",
    "phone_too_old": "Android телефонима са верзијом 6.0",
    "store_qr": "у поље за претрагу упишите ConsentID",
    "no_internet": "Укључите мобилне податке",
    "app_closes": "искључите и поново укључите телефон",
    "pin_mismatch": "истих 6 цифара оба пута",
    "pin_forgotten": "PIN се не може сазнати ни вратити",
    "qr_not_scanning": "15–20 cm изнад QR кода",
    "code_expired": "Нови код се штампа на шалтеру",
    "already_activated": "важи за једну активацију",
    "code_refused": "У коду нема слова O и I",
    "wrong_details": "Не користите је за пријаву",
    "no_request": "захтев стиже у апликацију за неколико секунди",
    "username_refused": "тачно као на листићу: ana@primer.rs",
}


@dataclass
class Approved:
    ana: Chat
    mira: Chat
    ref: str
    notice: Outbound
    inbox: Inbox


async def deliver(app: App, inbox: Inbox) -> None:
    while await app.outbox.run_once():
        pass


async def approved(
    app: App, chat: Callable[..., Chat], language: str = "sr-Cyrl", email: str = "ana@primer.rs"
) -> Approved:
    """Ana registers in her language, Mira approves at counter 1; Ana's chat is told."""
    ana = chat("ana")
    ref = await register(ana, WORDS[language], email=email)
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одобри")
    await mira.picks("Да")
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    await deliver(app, inbox)
    notices = [o for o in inbox.received if o.key.user_key == "ana"]
    assert len(notices) == 1
    return Approved(ana, mira, ref, notices[0], inbox)


async def to_step(ana: Chat, step: str, start: str = "Подеси ConsentID сада") -> None:
    """From anywhere into the guide, on an Android phone, up to the given step."""
    await ana.says("/consentid")
    if "Какав телефон" in ana.text:
        await ana.picks("Android")
    while f"корак {STEPS.index(step) + 1} од 6" not in ana.text:
        await ana.picks("Урађено")


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_citizen_is_walked_from_approved_to_logged_in_in_each_language(
    app: App, chat: Callable[..., Chat], language: str
) -> None:
    words = LABELS[language]
    a = await approved(app, chat, language)
    assert words["start"] in [c for c in _labels(a.notice)]  # the button under the news
    assert "K7QM" not in str(a.notice)  # never a code in the chat
    await a.ana.presses_on(a.notice, words["start"])
    assert words["phone"] in a.ana.text
    await a.ana.picks("Android")
    assert "play.google.com" in a.ana.text and a.ana.last.qr is None  # no QR on the phone
    for number in range(1, 7):
        assert words["step"].format(n=number) in a.ana.text
        await a.ana.picks(words["done"])
    assert words["congrats"] in a.ana.text
    reg = await a.ana.app.store.get_registration(a.ref)
    assert reg is not None and reg.status is RegistrationStatus.ACTIVE
    await a.ana.picks(words["mailbox"])
    assert words["mailbox_text"] in a.ana.text
    status = await a.ana.says("/status")
    assert words["active"] in status
    assert "activate" in [e.action for e in await app.store.audit_log(a.ref)]
    progress = await app.store.activation(a.ref)
    assert progress is not None and (progress.step, progress.problem) == (6, None)


def _labels(out: Outbound) -> list[str]:
    return [render(c.label, out.language) for c in out.choices]


async def test_every_it_does_not_work_answers_in_plain_words_and_comes_back_to_the_step(
    app: App, chat: Callable[..., Chat]
) -> None:
    a = await approved(app, chat)
    await to_step(a.ana, "install")
    for number, step in enumerate(STEPS, start=1):
        assert f"корак {number} од 6" in a.ana.text
        for problem in PROBLEMS[step]:
            await a.ana.picks("Не ради")
            assert "Шта се догађа?" in a.ana.text
            await a.ana.picks(render(Msg(f"activation.problem.{problem}"), "sr-Cyrl"))
            assert FIXES[problem] in a.ana.text, problem
            await a.ana.picks("Покушај поново")
            assert f"корак {number} од 6" in a.ana.text  # back where it did not work
        await a.ana.picks("Урађено")
    assert "Честитамо" in a.ana.text
    reported = [
        e.detail for e in await app.store.audit_log(a.ref) if e.action == "activation_problem"
    ]
    expected = {f"{step}:{problem}" for step in STEPS for problem in PROBLEMS[step]}
    assert set(reported) == expected and len(reported) == len(expected)


async def test_still_stuck_in_the_hall_asks_the_officer_at_her_counter(
    app: App, chat: Callable[..., Chat]
) -> None:
    a = await approved(app, chat)
    await to_step(a.ana, "activate")
    await a.ana.picks("Не ради")
    await a.ana.picks("QR код се не скенира")
    await a.ana.picks("И даље не ради")
    assert "У сали сам: позови службеника" in a.ana.text
    reply = await a.ana.picks("позови службеника")
    assert "Јавили смо службенику Мира на шалтеру 1" in reply
    assert "корак 4 од 6" in reply  # and the step is there again, for when it works
    await deliver(app, a.inbox)
    told = a.inbox.texts_for("мира")
    assert any(
        "Помоћ са апликацијом ConsentID: Ана-Марија Петровић, пријава "
        f"{a.ref} (из разговора, у сали), корак 4 од 6 (активација), "
        "запело: QR код се не скенира" in text
        for text in told
    ), told
    # the officer's workspace shows where she is
    await a.mira.picks("ConsentID: ко је где")
    assert f"{a.ref} Ана-Марија Петровић: корак 4 од 6 (активација), запело: QR код" in (
        a.mira.text
    )


async def test_away_from_the_hall_a_help_visit_is_booked_or_the_contact_given(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    a = await approved(app, chat)
    clock.advance(days=1)  # the next morning, at home
    await to_step(a.ana, "install")
    await a.ana.picks("Не ради")
    await a.ana.picks("Нема места на телефону")
    await a.ana.picks("И даље не ради")
    assert "позови службеника" not in a.ana.text
    reply = await a.ana.picks("Контакт шалтерске сале")
    assert "Радно време: понедељак – петак 08:00–16:00" in reply
    assert "Трг слободе 3" in reply
    assert "корак 1 од 6" in reply
    await a.ana.picks("Не ради")
    await a.ana.picks("Нема места на телефону")
    await a.ana.picks("И даље не ради")
    await a.ana.picks("Закажи долазак")
    await a.ana.picks("среда")
    reply = await a.ana.picks("09:00")
    assert "Заказали смо вам долазак за помоћ: среда" in reply and "09:00" in reply
    visit = await app.store.help_visit(a.ref)
    assert visit is not None and visit.astimezone(app.halls["kg"].tz).strftime("%a %H:%M") == (
        "Wed 09:00"
    )


async def test_at_the_kiosk_the_registration_code_opens_the_guide_with_qr_codes(
    app: App, chat: Callable[..., Chat]
) -> None:
    a = await approved(app, chat)
    kiosk = chat("kg:s1", channel="kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Подешавање апликације ConsentID")
    assert "шифру пријаве" in kiosk.text
    await kiosk.says(a.ref)
    await kiosk.picks("iPhone")
    assert "App Store" in kiosk.text and kiosk.last.qr is not None  # scan it with the phone
    assert "ConsentID" in kiosk.last.qr
    await kiosk.picks("Урађено")
    await kiosk.picks("Урађено")
    await kiosk.picks("Не ради")
    await kiosk.picks("Заборавио сам PIN")
    await kiosk.picks("И даље не ради")
    assert "Јавили смо службенику Мира" in await kiosk.picks("позови службеника")
    await deliver(app, a.inbox)
    assert any(
        "(на киоску у сали), корак 3 од 6 (PIN), запело: Заборавио сам PIN" in text
        for text in a.inbox.texts_for("мира")
    )


async def test_a_kiosk_code_of_a_registration_not_yet_approved_is_refused_politely(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("bob"), WORDS["sr-Cyrl"])
    kiosk = chat("kg:s2", channel="kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Подешавање апликације ConsentID")
    assert "још није одобрена" in await kiosk.says(ref)


async def test_a_mistyped_kiosk_code_is_asked_again_not_called_unapproved(
    app: App, chat: Callable[..., Chat]
) -> None:
    a = await approved(app, chat)
    kiosk = chat("kg:s3", channel="kiosk")
    await kiosk.command_language("en")
    await kiosk.picks("Setting up the ConsentID app")
    nobodys = new_ref()  # well formed, check character right, but nobody has it
    reply = await kiosk.says(nobodys)
    assert f"We cannot find a registration with reference {nobodys}" in reply
    assert "not approved" not in reply
    assert "type the registration code" in reply  # the same question: try again
    await kiosk.says(a.ref)
    assert "What phone do you have?" in kiosk.text


async def test_one_reminder_a_day_after_the_approval_leads_back_to_the_same_step(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    a = await approved(app, chat)
    await to_step(a.ana, "pin")
    await a.ana.says("/cancel")
    clock.advance(hours=23)
    await deliver(app, a.inbox)
    assert len(a.inbox.texts_for("ana")) == 1  # only the approval so far
    clock.advance(hours=2)
    await deliver(app, a.inbox)
    told = [o for o in a.inbox.received if o.key.user_key == "ana"]
    assert len(told) == 2 and "још нисмо видели вашу прву пријаву" in _text(told[-1])
    reply = await a.ana.presses_on(told[-1], "Подеси ConsentID сада")
    assert "Настављамо где сте стали: корак 3 од 6 (PIN)" in reply
    clock.advance(days=3)
    await deliver(app, a.inbox)
    assert len([o for o in a.inbox.received if o.key.user_key == "ana"]) == 2  # just one


async def test_no_reminder_once_the_first_login_is_confirmed(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    a = await approved(app, chat)
    await to_step(a.ana, "login")
    await a.ana.picks("Урађено")
    clock.advance(days=2)
    await deliver(app, a.inbox)
    assert [_text(o) for o in a.inbox.received if o.key.user_key == "ana"][1:] == []


def _text(out: Outbound) -> str:
    return render_outbound(out)


async def test_an_expired_code_is_said_and_the_officers_reprint_issues_a_new_one(
    make_app: Callable[..., object], clock: Clock
) -> None:
    app = await make_app(engine={"activation_code_days": 1, "activation_reminder_hours": 48})
    assert isinstance(app, App)
    try:
        chat = lambda user, channel="terminal": Chat(app, user, channel)  # noqa: E731
        a = await approved(app, chat)
        assert len((await app.printers.run_once()).printed) == 1  # the code is issued now
        await to_step(a.ana, "activate")
        assert "Активациони код са листића важи до: уторак, 01.12.2026 у 08:00" in a.ana.text
        clock.advance(hours=49)
        await deliver(app, a.inbox)
        reminder = [o for o in a.inbox.received if o.key.user_key == "ana"][-1]
        assert "у међувремену истекао" in _text(reminder)
        await a.ana.says("/consentid")
        assert "Активациони код са листића је истекао" in a.ana.text
        assert "Нови код се штампа на шалтеру" in a.ana.text
        await a.mira.picks("ConsentID: ко је где")
        await a.mira.picks(a.ref)
        assert "је истекао" in a.mira.text
        assert "нови приступни подаци са новим кодом" in await a.mira.picks("нови код")
        assert len((await app.printers.run_once()).printed) == 1
        reprints = [e for e in await app.store.audit_log(a.ref) if e.action == "reprint"]
        assert len(reprints) == 1 and "new activation code" in (reprints[0].detail or "")
        await a.ana.says("/consentid")
        assert "важи до: четвртак, 03.12.2026 у 09:00" in a.ana.text  # the new code, from now
    finally:
        await app.close()


async def test_the_officer_marks_the_first_login_done_and_the_citizen_is_told(
    app: App, chat: Callable[..., Chat]
) -> None:
    a = await approved(app, chat)
    await to_step(a.ana, "login")
    await a.mira.picks("ConsentID: ко је где")
    assert "корак 6 од 6 (прва пријава)" in a.mira.text
    await a.mira.picks(a.ref)
    assert "прва пријава потврђена" in await a.mira.picks("Прва пријава урађена")
    assert "Нема одобрених пријава" in a.mira.text  # nobody is left waiting
    reg = await app.store.get_registration(a.ref)
    assert reg is not None and reg.status is RegistrationStatus.ACTIVE
    await deliver(app, a.inbox)
    assert any("Службеник је потврдио" in t for t in a.inbox.texts_for("ana"))
    # Ana presses "Done" on the screen she still had: one first login, said once more
    assert "Честитамо" in await a.ana.picks("Урађено")
    activations = [e for e in await app.store.audit_log(a.ref) if e.action == "activate"]
    officer = await app.store.officer_for(a.mira.key)
    assert officer is not None and [e.actor for e in activations] == [f"officer:{officer.id}"]
    assert "налог је активан" in await a.ana.says("/status")


async def test_a_chat_without_an_approved_registration_is_told_what_comes_when(
    chat: Callable[..., Chat],
) -> None:
    bob = chat("bob")
    await bob.says("/start")
    await bob.picks("ћирилица")
    assert "немате одобрену пријаву" in await bob.says("/consentid")


async def test_when_the_approving_officer_is_gone_every_officer_of_the_hall_is_asked(
    app: App, chat: Callable[..., Chat]
) -> None:
    a = await approved(app, chat)
    zoran = await enrolled(app, chat, "Зоран", counter="2")
    mira = await app.store.officer_for(a.mira.key)
    assert mira is not None and await app.store.revoke_officer(mira.id)
    await to_step(a.ana, "check")
    await a.ana.picks("Не ради")
    await a.ana.picks("Подаци у апликацији нису моји")
    await a.ana.picks("И даље не ради")
    assert "Јавили смо службеницима у сали" in await a.ana.picks("позови службеника")
    await deliver(app, a.inbox)
    assert any(
        "корак 5 од 6 (провера), запело: Подаци у апликацији нису моји" in text
        for text in a.inbox.texts_for(zoran.user)
    )
    assert not any("Помоћ са апликацијом" in text for text in a.inbox.texts_for("мира"))
