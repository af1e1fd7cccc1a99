"""Work claimed by one process is its own: only it marks the outcome, and only a process
that is gone loses it. Each store opened here is another process on the same database."""

from __future__ import annotations

from datetime import timedelta

from flows.engine.records import Effect, PrinterState, PrintStatus, Unit
from state import SqlStore
from state.leases import printer_lease
from tests.state.conftest import Backend
from tests.state.store_support import Clock, printer_term

SECOND = timedelta(seconds=1)
KIOSK = printer_lease("kiosk")


async def statuses(store: SqlStore) -> dict[str, PrintStatus]:
    return {job.key: job.status for job in await store.print_jobs("kiosk")}


async def test_a_live_process_s_printing_job_is_never_called_uncertain(
    backend: Backend, clock: Clock
) -> None:
    serve, chat = await backend.open(), await backend.open()
    await serve.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {}), ("t2", "kiosk", "x", {})]))
    [job] = await serve.claim_print_jobs("kiosk", clock.now, 1, await printer_term(serve, "kiosk"))

    # `ecitizen chat` starts beside `serve`: serve is sending t1 right now
    assert await chat.mark_uncertain() == 0
    assert await chat.mark_uncertain("kiosk") == 0
    assert await chat.take_lease(KIOSK, chat.owner, 10) is None  # serve holds the printer
    assert not await chat.print_done(job.id, clock.now)  # not chat's job
    assert not await chat.print_retry(job.id, clock.now, "stolen")
    assert not await chat.print_failed(job.id, "stolen")
    assert await statuses(serve) == {"t1": PrintStatus.PRINTING, "t2": PrintStatus.QUEUED}

    assert await serve.print_done(job.id, clock.now)
    assert not await serve.print_done(job.id, clock.now)  # once
    assert await statuses(chat) == {"t1": PrintStatus.PRINTED, "t2": PrintStatus.QUEUED}


async def test_only_the_holder_of_the_printer_s_current_term_claims_its_jobs(
    backend: Backend, clock: Clock
) -> None:
    serve, chat = await backend.open(), await backend.open()
    await serve.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {})]))
    assert await chat.claim_print_jobs("kiosk", clock.now, 1, 0) == []  # holds no lease at all
    term = await printer_term(serve, "kiosk")
    assert await chat.claim_print_jobs("kiosk", clock.now, 1, term) == []  # not chat's term
    assert await serve.claim_print_jobs("kiosk", clock.now, 1, term - 1) == []  # an old term
    clock.advance(10 * SECOND)  # serve's lease ran out: it claims nothing more
    assert await serve.claim_print_jobs("kiosk", clock.now, 1, term) == []
    assert await statuses(serve) == {"t1": PrintStatus.QUEUED}


async def test_a_stalled_owner_s_late_word_on_its_job_changes_nothing(
    backend: Backend, clock: Clock
) -> None:
    """serve's lease runs out while it is stalled; chat takes the printer over. serve comes
    back and says t1 printed: too late, the new term decided (uncertain)."""
    serve, chat = await backend.open(), await backend.open()
    await serve.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {}), ("t2", "kiosk", "x", {})]))
    [t1] = await serve.claim_print_jobs("kiosk", clock.now, 1, await printer_term(serve, "kiosk"))
    clock.advance(11 * SECOND)
    term = await chat.take_lease(KIOSK, chat.owner, 10, guard_s=3)
    assert term is not None
    assert await chat.mark_uncertain("kiosk") == 1
    assert not await serve.renew_lease(KIOSK, serve.owner, 10)
    assert not await serve.print_done(t1.id, clock.now)
    assert not await serve.print_retry(t1.id, clock.now, "sent again")
    assert await statuses(chat) == {"t1": PrintStatus.UNCERTAIN, "t2": PrintStatus.QUEUED}


async def test_a_new_owner_waits_out_the_lease_it_took_over(backend: Backend, clock: Clock) -> None:
    """Taken over from a lease that ran out: nothing is printed until a guard after its
    end, while the old owner may still be stopping. After a release: at once."""
    serve, chat = await backend.open(), await backend.open()
    await serve.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {}), ("t2", "kiosk", "x", {})]))
    assert await serve.take_lease(KIOSK, serve.owner, 10)
    ended = clock.advance(10 * SECOND)
    term = await chat.take_lease(KIOSK, chat.owner, 10, guard_s=3)
    assert term is not None and term.starts_at == ended + 3 * SECOND
    assert await chat.claim_print_jobs("kiosk", clock.now, 1, term.number) == []
    clock.advance(3 * SECOND)
    [t1] = await chat.claim_print_jobs("kiosk", clock.now, 1, term.number)
    assert await chat.print_done(t1.id, clock.now)

    assert await chat.release_lease(KIOSK, chat.owner)
    term = await serve.take_lease(KIOSK, serve.owner, 10, guard_s=3)
    assert term is not None and term.starts_at == clock.now
    assert [j.key for j in await serve.claim_print_jobs("kiosk", clock.now, 1, term.number)] == [
        "t2"
    ]


async def test_a_dead_process_s_printing_job_becomes_uncertain_and_the_rest_go_on(
    backend: Backend, clock: Clock
) -> None:
    serve, other = await backend.open(), await backend.open()
    await serve.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {}), ("t2", "kiosk", "x", {})]))
    [job] = await serve.claim_print_jobs("kiosk", clock.now, 1, await printer_term(serve, "kiosk"))
    # serve dies while sending t1: its lease is not renewed
    clock.advance(11 * SECOND)
    term = await printer_term(other, "kiosk")
    assert await other.mark_uncertain("kiosk") == 1
    [t2] = await other.claim_print_jobs("kiosk", clock.now, 5, term)
    assert t2.key == "t2"
    assert await other.print_done(t2.id, clock.now)
    assert not await serve.print_done(job.id, clock.now)  # too late: it stays uncertain
    assert await statuses(other) == {"t1": PrintStatus.UNCERTAIN, "t2": PrintStatus.PRINTED}


async def test_no_job_is_taken_while_an_earlier_term_s_job_is_still_printing(
    backend: Backend, clock: Clock
) -> None:
    """Order per printer: t2 never comes out before t1 is settled."""
    dead, other = await backend.open(), await backend.open()
    await dead.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {}), ("t2", "kiosk", "x", {})]))
    await dead.claim_print_jobs("kiosk", clock.now, 1, await printer_term(dead, "kiosk"))
    clock.advance(11 * SECOND)
    term = await printer_term(other, "kiosk")
    assert await other.claim_print_jobs("kiosk", clock.now, 5, term) == []
    assert await other.mark_uncertain("kiosk") == 1
    assert [j.key for j in await other.claim_print_jobs("kiosk", clock.now, 5, term)] == ["t2"]


async def test_a_job_waiting_for_its_retry_holds_back_every_later_one(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {})]))
    term = await printer_term(store, "kiosk", ttl_s=60)
    [t1] = await store.claim_print_jobs("kiosk", clock.now, 1, term)
    assert await store.print_retry(t1.id, clock.now + 5 * SECOND, "paper out")
    clock.advance(SECOND)
    await store.apply(Unit(print_jobs=[("t2", "kiosk", "ticket", {})]))
    assert await store.claim_print_jobs("kiosk", clock.now, 5, term) == []
    clock.advance(4 * SECOND)
    assert [j.key for j in await store.claim_print_jobs("kiosk", clock.now, 5, term)] == [
        "t1",
        "t2",
    ]


async def test_a_printer_s_condition_is_the_same_for_every_process(backend: Backend) -> None:
    serve, chat = await backend.open(), await backend.open()
    assert await chat.printer_states() == {}
    await serve.save_printer_state("kiosk", PrinterState("paper_out", "paper_out", 3))
    assert await chat.printer_states() == {"kiosk": PrinterState("paper_out", "paper_out", 3)}
    await serve.save_printer_state("kiosk", PrinterState("online"))
    assert await chat.printer_states() == {"kiosk": PrinterState("online", None, 0)}


async def test_only_the_claiming_process_marks_an_effect(backend: Backend, clock: Clock) -> None:
    first, second = await backend.open(), await backend.open()
    await first.apply(Unit(effects=[Effect("notify", "e1", {})]))
    [item] = await first.claim_effects(clock.now, 10, 15)
    assert not await second.effect_done(item.id)
    assert not await second.effect_retry(item.id, clock.now, "x")
    assert not await second.effect_failed(item.id, "x")
    assert await first.effect_done(item.id)
    assert not await first.effect_done(item.id)


async def test_a_renewed_claim_keeps_the_effect_and_an_expired_one_loses_it(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    await first.apply(Unit(effects=[Effect("notify", f"e{n}", {}) for n in (1, 2)]))
    [e1, e2] = await first.claim_effects(clock.now, 10, 15)
    for _ in range(4):  # a long delivery: renewed every 5 s
        clock.advance(5 * SECOND)
        assert await first.renew_effects([e1.id, e2.id], 15) == 2
        assert await second.claim_effects(clock.now, 10, 15) == []
    assert await second.renew_effects([e1.id, e2.id], 15) == 0  # not second's claims
    assert await first.effect_done(e1.id)
    assert await first.renew_effects([e1.id, e2.id], 15) == 1  # e1 is done

    # first dies: e2's claim runs out and second delivers it
    clock.advance(16 * SECOND)
    [again] = await second.claim_effects(clock.now, 10, 15)
    assert again.effect.key == "e2"
    assert not await first.effect_done(e2.id)  # first's late word changes nothing
    assert await second.effect_done(e2.id)
