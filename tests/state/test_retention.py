"""Expiry of forgotten registrations and the purge of personal data after retention."""

from __future__ import annotations

from datetime import timedelta

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.records import AuditEntry, Conversation, Effect, NewAccount, Transition, Unit
from state import SqlStore
from tests.state.store_support import START, Clock, chat, printer_term, registration

DAY = timedelta(days=1)


async def test_missed_visits_and_stale_registrations_expire(store: SqlStore) -> None:
    now = START + 40 * DAY
    cases = {
        "visit-two-days-ago": registration("A", visit_at=now - 2 * DAY),
        "visit-this-morning": registration("B", visit_at=now - timedelta(hours=3)),
        "no-visit-31-days": registration("C", created_at=now - 31 * DAY),
        "no-visit-29-days": registration("D", created_at=now - 29 * DAY),
        "checked-in-long-ago": registration(
            "E", status=RegistrationStatus.CHECKED_IN, visit_at=now - 5 * DAY
        ),
    }
    for reg in cases.values():
        await store.apply(Unit(new_registration=reg, capacity=5))

    assert await store.expire_due(now) == ["A", "C"]

    statuses = {ref: (await store.get_registration(ref)) for ref in "ABCDE"}
    assert {ref: r.status.value for ref, r in statuses.items() if r} == {
        "A": "expired",
        "B": "submitted",
        "C": "expired",
        "D": "submitted",
        "E": "checked_in",
    }
    assert [(e.actor, e.action) for e in await store.audit_log("A")] == [("system", "expire")]
    assert await store.expire_due(now) == []  # nothing twice


async def test_purge_erases_personal_data_and_keeps_the_decision(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(
        Unit(
            new_registration=registration("OLD"),
            links=[("OLD", chat("1"))],
            audit=[AuditEntry("citizen", "submit", "OLD")],
        )
    )
    await store.apply(
        Unit(
            transitions=[Transition("OLD", RegistrationStatus.CANCELLED)],
            audit=[AuditEntry("citizen", "cancel", "OLD", detail="by_citizen")],
        )
    )
    await store.apply(Unit(new_registration=registration("ACTIVE"), links=[("ACTIVE", chat("2"))]))
    clock.advance(31 * DAY)
    await store.apply(Unit(new_registration=registration("RECENT", created_at=clock.now)))
    await store.apply(Unit(transitions=[Transition("RECENT", RegistrationStatus.CANCELLED)]))

    assert await store.purge(clock.now - 30 * DAY) == 1

    old = await store.get_registration("OLD")
    assert old is not None and old.erased
    assert (old.first_name, old.last_name, old.jmbg, old.id_number, old.phone, old.email) == (
        "",
        "",
        "",
        "",
        "",
        None,
    )
    assert old.status is RegistrationStatus.CANCELLED
    assert await store.links_of("OLD") == []
    assert [e.action for e in await store.audit_log("OLD")] == ["cancel", "submit"]
    active = await store.get_registration("ACTIVE")
    assert active is not None and not active.erased and active.jmbg == "0512981717776"
    assert await store.links_of("ACTIVE") == [chat("2")]
    recent = await store.get_registration("RECENT")
    assert recent is not None and not recent.erased
    assert await store.purge(clock.now - 30 * DAY) == 0


async def test_purge_drops_half_finished_conversations_and_spent_payloads(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(
        Unit(
            conversation=Conversation(chat("1"), "registration", "ask_jmbg", slots={"n": "Ана"}),
            inbound_id=("telegram", "m1"),
            effects=[Effect("notify", "e1", {"text": "Ана"})],
        )
    )
    [item] = await store.claim_effects(clock.now, 10, 30)
    await store.effect_done(item.id)
    clock.advance(31 * DAY)
    await store.apply(Unit(conversation=Conversation(chat("2"), "registration", "ask_name")))

    await store.purge(clock.now - 30 * DAY)

    assert await store.load_conversation(chat("1")) is None
    assert await store.load_conversation(chat("2")) is not None
    # A redelivery that old is a new message now.
    await store.apply(Unit(inbound_id=("telegram", "m1")))


# -- what the purge used to leave behind (issue 10) ------------------------------------------


async def _claimed_then_in_review(store: SqlStore, ref: str) -> None:
    await store.apply(Unit(new_registration=registration(ref), capacity=5))
    await store.apply(Unit(transitions=[Transition(ref, RegistrationStatus.IN_REVIEW, 7)]))


async def test_an_officers_free_text_reason_is_erased_with_the_registration(
    store: SqlStore, clock: Clock
) -> None:
    await _claimed_then_in_review(store, "REJ")
    typed = "ЈМБГ 0512981717776 и ЛК 012345678 се не слажу"
    await store.apply(
        Unit(transitions=[Transition("REJ", RegistrationStatus.REJECTED, 7, reason=typed)])
    )
    clock.advance(31 * DAY)

    assert await store.purge(clock.now - 30 * DAY) == 1

    rejected = await store.get_registration("REJ")
    assert rejected is not None and rejected.erased
    assert rejected.status is RegistrationStatus.REJECTED
    assert rejected.reason is None


async def test_an_account_never_handed_out_is_erased(store: SqlStore, clock: Clock) -> None:
    """An account made for a registration that was then cancelled (an approval that never
    completed, or a provider that made it early) goes with the registration's data."""
    await store.apply(Unit(new_registration=registration("NOPE"), capacity=5))
    await store.apply(Unit(accounts=[NewAccount("NOPE", "ana.jovanovic")]))
    await store.apply(Unit(transitions=[Transition("NOPE", RegistrationStatus.CANCELLED)]))
    clock.advance(31 * DAY)

    await store.purge(clock.now - 30 * DAY)

    assert await store.account_of("NOPE") is None
    assert not await store.username_taken("ana.jovanovic")


async def test_print_job_payloads_are_erased_in_every_state(store: SqlStore, clock: Clock) -> None:
    payload = {"ref": "K7M4-PX9N", "username": "ana.jovanovic"}
    for key in ("queued", "uncertain", "printed", "failed"):
        await store.apply(Unit(print_jobs=[(key, "file", "credentials", payload)]))
    term = await printer_term(store, "file")
    [uncertain] = await store.claim_print_jobs("file", clock.now, 1, term)  # "queued" first ...
    clock.advance(timedelta(seconds=11))  # ... and a crash mid-print: the lease runs out
    await store.mark_uncertain()
    term = await printer_term(store, "file")
    for job in await store.claim_print_jobs("file", clock.now, 3, term):
        if job.key == "printed":
            await store.print_done(job.id, clock.now)
        elif job.key == "failed":
            await store.print_failed(job.id, "cannot make the slip")
        else:
            await store.print_retry(job.id, clock.now, "paper out")
    clock.advance(31 * DAY)

    await store.purge(clock.now - 30 * DAY)

    jobs = await store.print_jobs()
    assert len(jobs) == 4 and uncertain.key == "queued"
    assert [job.payload for job in jobs] == [{}, {}, {}, {}]


async def test_an_approved_registration_keeps_personal_data_only_for_a_while(
    store: SqlStore, clock: Clock
) -> None:
    await _claimed_then_in_review(store, "YES")
    await store.apply(
        Unit(
            transitions=[
                Transition("YES", RegistrationStatus.APPROVED, 7, username="ana.jovanovic")
            ],
            accounts=[NewAccount("YES", "ana.jovanovic")],
            links=[("YES", chat("1"))],
        )
    )
    clock.advance(31 * DAY)

    await store.purge(clock.now - 30 * DAY)

    approved = await store.get_registration("YES")
    assert approved is not None and approved.erased
    assert approved.status is RegistrationStatus.APPROVED and approved.officer_id == 7
    assert (approved.ref, approved.hall) == ("YES", "kg")  # what the audit needs stays
    kept = (approved.first_name, approved.last_name, approved.jmbg, approved.id_number)
    assert kept == ("", "", "", "") and approved.phone == "" and approved.email is None
    assert approved.username is None and await store.account_of("YES") is None
    assert await store.links_of("YES") == []
