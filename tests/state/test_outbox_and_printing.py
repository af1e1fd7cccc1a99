"""The outbox and print jobs: each effect once, each slip once, nothing lost in a crash."""

from __future__ import annotations

from datetime import timedelta

from flows.engine.records import Effect, PrintStatus, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock, printer_term

SECOND = timedelta(seconds=1)


async def test_an_effect_key_is_accepted_once_ever(store: SqlStore, clock: Clock) -> None:
    await store.apply(Unit(effects=[Effect("notify", "approved:R-1", {"text": "first"})]))
    await store.apply(Unit(effects=[Effect("notify", "approved:R-1", {"text": "second"})]))

    items = await store.claim_effects(clock.now, 10, 30)
    assert [(i.effect.key, i.effect.payload) for i in items] == [
        ("approved:R-1", {"text": "first"})
    ]
    await store.effect_done(items[0].id)
    await store.apply(Unit(effects=[Effect("notify", "approved:R-1", {"text": "third"})]))
    assert await store.claim_effects(clock.now + timedelta(hours=1), 10, 30) == []


async def test_a_claimed_effect_is_leased_and_comes_back_if_its_worker_dies(
    backend: Backend, clock: Clock
) -> None:
    worker, other_worker = await backend.open(), await backend.open()
    await worker.apply(Unit(effects=[Effect("notify", f"e{n}", {"n": n}) for n in range(3)]))

    claimed = await worker.claim_effects(clock.now, 2, 30)
    assert [i.effect.key for i in claimed] == ["e0", "e1"]
    assert all(i.next_attempt_at == clock.now + 30 * SECOND for i in claimed)
    rest = await other_worker.claim_effects(clock.now, 10, 30)
    assert [i.effect.key for i in rest] == ["e2"]
    assert await other_worker.claim_effects(clock.now + 29 * SECOND, 10, 30) == []

    # The first worker died: its lease runs out and another worker takes the effects.
    back = await other_worker.claim_effects(clock.now + 31 * SECOND, 10, 30)
    assert sorted(i.effect.key for i in back) == ["e0", "e1", "e2"]


async def test_a_failed_delivery_waits_for_its_retry_time_then_can_give_up(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(Unit(effects=[Effect("notify", "e1", {})]))
    [item] = await store.claim_effects(clock.now, 10, 30)
    retry_at = clock.now + 10 * SECOND
    await store.effect_retry(item.id, retry_at, "telegram: 502")

    assert await store.claim_effects(retry_at - SECOND, 10, 30) == []
    [again] = await store.claim_effects(retry_at, 10, 30)
    assert again.attempts == 1

    await store.effect_failed(again.id, "recipient gone")
    assert await store.claim_effects(retry_at + timedelta(days=1), 10, 30) == []


async def test_print_jobs_go_to_their_own_printer_oldest_first(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {"label": "A001"})]))
    clock.advance(SECOND)
    await store.apply(
        Unit(
            print_jobs=[
                ("t2", "kiosk", "ticket", {"label": "A002"}),
                ("t1", "kiosk", "ticket", {"label": "again"}),  # same key: ignored
                ("c1", "counter-1", "credentials", {"username": "ana"}),
            ]
        )
    )

    kiosk = await printer_term(store, "kiosk")
    jobs = await store.claim_print_jobs("kiosk", clock.now, 10, kiosk)
    assert [(j.key, j.payload, j.status) for j in jobs] == [
        ("t1", {"label": "A001"}, PrintStatus.PRINTING),
        ("t2", {"label": "A002"}, PrintStatus.PRINTING),
    ]
    assert await store.claim_print_jobs("kiosk", clock.now, 10, kiosk) == []
    counter = await printer_term(store, "counter-1")
    [credentials] = await store.claim_print_jobs("counter-1", clock.now, 10, counter)
    assert credentials.slip == "credentials"


async def test_a_printer_out_of_paper_gets_the_slip_again_later(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(Unit(print_jobs=[("t1", "kiosk", "ticket", {})]))
    term = await printer_term(store, "kiosk", ttl_s=60)
    [job] = await store.claim_print_jobs("kiosk", clock.now, 1, term)
    later = clock.now + 5 * SECOND
    await store.print_retry(job.id, later, "paper out")

    [queued] = await store.print_jobs("kiosk")
    assert (queued.status, queued.attempts, queued.error) == (PrintStatus.QUEUED, 1, "paper out")
    assert await store.claim_print_jobs("kiosk", later - SECOND, 1, term) == []
    [again] = await store.claim_print_jobs("kiosk", later, 1, term)
    await store.print_done(again.id, later)

    [printed] = await store.print_jobs()
    assert (printed.status, printed.printed_at, printed.error) == (PrintStatus.PRINTED, later, None)


async def test_a_slip_cut_off_by_a_crash_is_reprinted_only_when_an_officer_asks(
    backend: Backend, clock: Clock
) -> None:
    before = await backend.open()
    await before.apply(
        Unit(print_jobs=[("c1", "counter-1", "credentials", {}), ("c2", "counter-1", "x", {})])
    )
    [job, _] = await before.claim_print_jobs(
        "counter-1", clock.now, 5, await printer_term(before, "counter-1")
    )
    await before.close()  # crash while printing: its lease runs out
    clock.advance(timedelta(seconds=11))

    after = await backend.open()
    assert await after.mark_uncertain() == 2
    term = await printer_term(after, "counter-1", ttl_s=7200)
    assert await after.claim_print_jobs("counter-1", clock.now + timedelta(hours=1), 5, term) == []
    assert {j.status for j in await after.print_jobs("counter-1")} == {PrintStatus.UNCERTAIN}

    assert await after.requeue(job.id, clock.now)
    [reprint] = await after.claim_print_jobs("counter-1", clock.now, 5, term)
    assert reprint.key == "c1"
    assert not await after.requeue(job.id, clock.now)  # printing right now: no second copy


async def test_a_failed_slip_can_be_requeued_by_an_officer(store: SqlStore, clock: Clock) -> None:
    await store.apply(Unit(print_jobs=[("c1", "counter-1", "credentials", {})]))
    [job] = await store.claim_print_jobs(
        "counter-1", clock.now, 1, await printer_term(store, "counter-1")
    )
    await store.print_failed(job.id, "printer unreachable")
    [failed] = await store.print_jobs("counter-1")
    assert (failed.status, failed.error) == (PrintStatus.FAILED, "printer unreachable")

    assert await store.requeue(job.id, clock.now)
    [queued] = await store.print_jobs("counter-1")
    assert (queued.status, queued.attempts, queued.error) == (PrintStatus.QUEUED, 0, None)


async def test_one_read_names_the_printers_with_work_but_not_one_waiting_for_its_retry(
    backend: Backend, clock: Clock
) -> None:
    worker, kiosk_side = await backend.open(), await backend.open()
    assert await worker.printers_at_work(clock.now) == {}
    await kiosk_side.apply(
        Unit(
            print_jobs=[
                ("k1", "kiosk", "ticket", {}),
                ("c1", "counter-1", "credentials", {}),
                ("h1", "hall-2", "ticket", {}),
            ]
        )
    )
    clock.advance(SECOND)
    await kiosk_side.apply(
        Unit(print_jobs=[("k2", "kiosk", "ticket", {}), ("c2", "counter-1", "x", {})])
    )
    [h1] = await worker.claim_print_jobs(
        "hall-2", clock.now, 1, await printer_term(worker, "hall-2")
    )
    await worker.print_done(h1.id, clock.now)  # hall-2 has nothing left to do
    counter = await printer_term(worker, "counter-1")
    [c1] = await worker.claim_print_jobs("counter-1", clock.now, 1, counter)
    retry_at = clock.now + 5 * SECOND
    await worker.print_retry(c1.id, retry_at, "paper out")  # c2 waits behind it

    assert await worker.printers_at_work(clock.now) == {"kiosk": PrintStatus.QUEUED}
    [k1] = await worker.claim_print_jobs("kiosk", clock.now, 1, await printer_term(worker, "kiosk"))
    assert await worker.printers_at_work(retry_at) == {
        "kiosk": PrintStatus.PRINTING,  # k2 waits until k1 is out
        "counter-1": PrintStatus.QUEUED,
    }
    await worker.print_done(k1.id, retry_at)
    [again] = await worker.claim_print_jobs("counter-1", retry_at, 1, counter)
    assert again.key == "c1"
    assert await worker.printers_at_work(retry_at) == {
        "kiosk": PrintStatus.QUEUED,
        "counter-1": PrintStatus.PRINTING,
    }
