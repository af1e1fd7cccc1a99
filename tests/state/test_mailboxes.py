"""Web chat mailboxes in the store: numbered in order whichever process posts, each
notification and each answer kept once, bounded in size and in time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock

KEEP = 200
DAY = timedelta(days=1)


def said(text: str) -> dict[str, object]:
    return {"from": "bot", "text": [text]}


async def test_items_come_back_in_order_after_the_id_asked_for(store: SqlStore) -> None:
    assert await store.post_to_mailbox("tok", [said("one"), said("two")], "en", keep=KEEP) == [
        1,
        2,
    ]
    assert await store.post_to_mailbox("tok", [said("three")], None, keep=KEEP) == [3]
    box = await store.mailbox("tok", 1)
    assert [(i.id, i.item["text"]) for i in box.items] == [(2, ["two"]), (3, ["three"])]
    assert box.items[0].item["id"] == 2 and box.last_id == 3 and box.language == "en"
    assert (await store.mailbox("tok", 3)).items == ()
    other = await store.mailbox("other", 0)  # reading never creates a mailbox
    assert other.items == () and other.last_id == 0


async def test_only_the_last_items_are_kept(store: SqlStore) -> None:
    for n in range(5):
        await store.post_to_mailbox("tok", [said(f"n{n}")], "en", keep=3)
    box = await store.mailbox("tok", 0)
    assert [i.id for i in box.items] == [3, 4, 5] and box.last_id == 5


async def test_a_notification_delivered_twice_is_kept_once(backend: Backend) -> None:
    first, second = await backend.open(), await backend.open()
    posted = await asyncio.gather(
        first.post_to_mailbox("tok", [said("A017")], "en", keep=KEEP, notice="called:17"),
        second.post_to_mailbox("tok", [said("A017")], "en", keep=KEEP, notice="called:17"),
    )
    assert sorted(posted, key=lambda got: got is None) == [[1], None]
    await first.post_to_mailbox("tok", [said("A018")], "en", keep=KEEP, notice="called:18")
    box = await second.mailbox("tok", 0)
    assert [(i.id, i.item["text"]) for i in box.items] == [(1, ["A017"]), (2, ["A018"])]


async def test_an_answer_is_recorded_once_and_given_again(store: SqlStore) -> None:
    await store.post_to_mailbox("tok", [said("notice")], "en", keep=KEEP, notice="n1")
    answer = [{"from": "me", "text": ["hi"]}, said("Hello")]
    assert await store.post_to_mailbox("tok", answer, "en", keep=KEEP, reply_to="m1") == [2, 3]
    # The same message again (a retry, maybe to another process): nothing is added.
    assert await store.post_to_mailbox("tok", answer, "en", keep=KEEP, reply_to="m1") is None
    replay = await store.mailbox_reply("tok", "m1")
    assert replay is not None and [i.id for i in replay.items] == [2, 3]
    assert replay.items[1].item["text"] == ["Hello"]
    assert (await store.mailbox("tok", 0)).last_id == 3
    assert await store.mailbox_reply("tok", "m2") is None


async def test_only_the_last_answers_are_kept_for_replay(store: SqlStore) -> None:
    for n in range(4):
        await store.post_to_mailbox(
            "tok", [said(f"a{n}")], "en", keep=KEEP, reply_to=f"m{n}", replies_kept=2
        )
    assert await store.mailbox_reply("tok", "m0") is None
    assert await store.mailbox_reply("tok", "m1") is None
    assert await store.mailbox_reply("tok", "m3") is not None


async def test_two_processes_posting_at_once_number_every_item_once_in_order(
    backend: Backend,
) -> None:
    first, second = await backend.open(), await backend.open()

    async def post(store: SqlStore, who: str) -> list[int]:
        ids: list[int] = []
        for n in range(15):
            got = await store.post_to_mailbox(
                "tok", [said(f"{who}{n}"), said(f"{who}{n}+")], "en", keep=KEEP
            )
            assert got is not None
            ids += got
        return ids

    one, two = await asyncio.gather(post(first, "a"), post(second, "b"))
    assert sorted(one + two) == list(range(1, 61))
    box = await first.mailbox("tok", 0)
    texts = [i.item["text"][0] for i in box.items]
    assert len(texts) == len(set(texts)) == 60
    # Each process's items keep their own order, and each pair stays together.
    for who in "ab":
        mine = [t for t in texts if t.startswith(who)]
        assert mine == [f"{who}{n}{plus}" for n in range(15) for plus in ("", "+")]


async def test_a_mailbox_nobody_used_for_a_day_is_erased(store: SqlStore, clock: Clock) -> None:
    await store.post_to_mailbox("old", [said("x")], "en", keep=KEEP, reply_to="m1")
    await store.post_to_mailbox("used", [said("y")], "en", keep=KEEP)
    clock.advance(timedelta(hours=20))
    await store.mailbox("used", 0, touch_every=timedelta(minutes=10))  # the page polls
    await store.post_to_mailbox("used", [said("z")], "en", keep=KEEP)
    await store.mailbox("old", 0)  # a read that does not count as use
    clock.advance(timedelta(hours=5))
    assert await store.forget_mailboxes(DAY) == 1
    old = await store.mailbox("old", 0)
    assert old.items == () and old.last_id == 0
    assert await store.mailbox_reply("old", "m1") is None
    # a chat in use keeps its numbering, and only what it was told within the day
    used = await store.mailbox("used", 0)
    assert [i.item["text"] for i in used.items] == [["z"]] and used.last_id == 2
    assert await store.forget_mailboxes(DAY) == 0


async def test_a_notification_delivered_again_after_many_others_is_still_kept_once(
    backend: Backend,
) -> None:
    """A process that died after posting a notice but before marking it done: another
    process takes the notice over and posts it again, maybe after the page was told many
    other things meanwhile (the first copy no longer among the items kept)."""
    dying, taking_over = await backend.open(), await backend.open()
    assert await dying.post_to_mailbox("tok", [said("A017")], "en", keep=3, notice="called:17")
    for n in range(5):
        await dying.post_to_mailbox("tok", [said(f"n{n}")], "en", keep=3)
    again = await taking_over.post_to_mailbox(
        "tok", [said("A017")], "en", keep=3, notice="called:17"
    )
    assert again is None
    box = await taking_over.mailbox("tok", 0)
    assert [i.item["text"] for i in box.items] == [["n2"], ["n3"], ["n4"]]
    assert box.last_id == 6
