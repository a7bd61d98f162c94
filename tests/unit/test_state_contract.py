"""Contract tests of the state stores, written once and run against every backend.

``BACKENDS`` lists how to open each embedded backend on fresh, private storage (SQLite).
The PostgreSQL backend runs the same tests in ``tests/integration/test_state_postgres.py``, which
imports them and overrides ``opener`` with a fresh database on a real server, so this unit tier
needs none. Backend-specific checks (files, schema, error messages) are in ``test_state_sqlite.py``.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from state import (
    AnsweredMessage,
    Feedback,
    HistoryLimits,
    StateStoreError,
    StateStores,
    Turn,
    approx_tokens,
    open_sqlite_state,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LIMITS = HistoryLimits(max_turns=4, max_tokens=1000, ttl=timedelta(hours=1))
Opener = Callable[..., Awaitable[StateStores]]


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


async def _open_sqlite(directory: Path, **options: Any) -> StateStores:
    return open_sqlite_state(directory, **options)


def _sqlite(tmp_path: Path) -> Opener:
    # A partial of a module-level function, so that it can be sent to another process.
    return functools.partial(_open_sqlite, tmp_path / "state")


BACKENDS: dict[str, Callable[[Path], Opener]] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def stores(opener: Opener, clock: Clock) -> AsyncIterator[StateStores]:
    opened = await opener(history=LIMITS, clock=clock, delivery_ttl=timedelta(minutes=30))
    yield opened
    await opened.aclose()


def turn(role: str, text: str, at: datetime, cited: tuple[str, ...] = ()) -> Turn:
    return Turn(role, text, at, cited)  # type: ignore[arg-type]


def exchange(n: int, at: datetime) -> list[Turn]:
    return [turn("user", f"question {n}", at), turn("assistant", f"answer {n}", at, (f"doc-{n}",))]


# --- conversation history ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_history_comes_back_oldest_first_with_citations(stores: StateStores, clock: Clock) -> None:
    await stores.conversations.append("teams:19:a", exchange(1, clock.now))
    await stores.conversations.append("teams:19:a", exchange(2, clock.advance(seconds=5)))
    history = await stores.conversations.history("teams:19:a")
    assert [t.text for t in history] == ["question 1", "answer 1", "question 2", "answer 2"]
    assert [t.role for t in history] == ["user", "assistant", "user", "assistant"]
    assert history[1].cited == ("doc-1",) and history[0].cited == ()
    assert history[3].time == clock.now  # stored exactly, timezone-aware


@pytest.mark.asyncio
async def test_turns_with_the_same_time_keep_their_order(stores: StateStores, clock: Clock) -> None:
    await stores.conversations.append("k", [turn("user", "first", clock.now), turn("assistant", "second", clock.now)])
    assert [t.text for t in await stores.conversations.history("k")] == ["first", "second"]


@pytest.mark.asyncio
async def test_history_keeps_only_the_last_max_turns(stores: StateStores, clock: Clock) -> None:
    for n in range(5):
        await stores.conversations.append("k", exchange(n, clock.advance(seconds=1)))
    history = await stores.conversations.history("k")
    assert [t.text for t in history] == ["question 3", "answer 3", "question 4", "answer 4"]


@pytest.mark.asyncio
async def test_history_is_cut_to_the_token_budget_from_the_oldest_end(opener: Opener, clock: Clock) -> None:
    limits = HistoryLimits(max_turns=10, max_tokens=3 * approx_tokens("x" * 400), ttl=timedelta(hours=1))
    opened = await opener(history=limits, clock=clock)
    try:
        texts = [f"{n}" * 400 for n in range(5)]  # 104 tokens each by the documented rule
        await opened.conversations.append("k", [turn("user", t, clock.now) for t in texts])
        assert [t.text for t in await opened.conversations.history("k")] == texts[2:]
        # A newest turn that alone exceeds the budget leaves nothing older behind it.
        await opened.conversations.append("k", [turn("assistant", "y" * 4 * limits.max_tokens, clock.now)])
        assert await opened.conversations.history("k") == []
    finally:
        await opened.aclose()


def test_token_estimate_is_characters_over_four_plus_a_turn_overhead() -> None:
    assert approx_tokens("") == 4
    assert approx_tokens("abcd") == 5
    assert approx_tokens("abcde") == 6


@pytest.mark.asyncio
async def test_history_older_than_the_ttl_is_gone(stores: StateStores, clock: Clock) -> None:
    await stores.conversations.append("k", exchange(1, clock.now))
    clock.advance(minutes=40)
    await stores.conversations.append("k", exchange(2, clock.now))
    assert len(await stores.conversations.history("k")) == 4
    clock.advance(minutes=21)  # exchange 1 is now 61 minutes old, exchange 2 21 minutes
    assert [t.text for t in await stores.conversations.history("k")] == ["question 2", "answer 2"]
    clock.advance(hours=1)
    assert await stores.conversations.history("k") == []


@pytest.mark.asyncio
async def test_clear_forgets_one_conversation_and_keys_are_isolated(stores: StateStores, clock: Clock) -> None:
    room, private = "teams:19:room@thread.v2:room", "teams:19:room@thread.v2:private:8d89"
    await stores.conversations.append(room, exchange(1, clock.now))
    await stores.conversations.append(private, exchange(2, clock.now))
    assert [t.text for t in await stores.conversations.history(room)] == ["question 1", "answer 1"]
    assert [t.text for t in await stores.conversations.history(private)] == ["question 2", "answer 2"]
    await stores.conversations.clear(room)
    await stores.conversations.clear("never-seen")
    assert await stores.conversations.history(room) == []
    assert len(await stores.conversations.history(private)) == 2
    assert await stores.conversations.history("teams:19:room@thread.v2") == []  # no prefix matching


def test_turns_validate_role_and_time() -> None:
    with pytest.raises(ValueError, match="role"):
        turn("system", "x", T0)
    with pytest.raises(ValueError, match="timezone"):
        turn("user", "x", datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        HistoryLimits(max_turns=0)


# --- feedback ------------------------------------------------------------------------------------


def feedback(n: int, at: datetime, reaction: str = "like", **fields: Any) -> Feedback:
    return Feedback(answer_id=f"answer-{n}", reaction=reaction, time=at, **fields)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_feedback_is_listed_oldest_first_and_since_is_inclusive(stores: StateStores, clock: Clock) -> None:
    first = feedback(
        1,
        clock.now,
        "dislike",
        comment="Falsche Zahl",
        asker="p-123",
        message_key="19:a|1700000000001",
        cited=("drive/item-1", "drive/item-2"),
        surface="teams",
    )
    second = feedback(2, clock.advance(minutes=1), surface="web")
    third = feedback(3, clock.advance(minutes=1))
    for record in (third, first, second):
        await stores.feedback.add(record)
    assert await stores.feedback.list() == [first, second, third]
    assert await stores.feedback.list(since=second.time) == [second, third]
    assert await stores.feedback.list(since=clock.advance(seconds=1)) == []


@pytest.mark.asyncio
async def test_feedback_on_the_same_answer_is_kept_as_separate_records(stores: StateStores, clock: Clock) -> None:
    await stores.feedback.add(feedback(1, clock.now, "like"))
    await stores.feedback.add(feedback(1, clock.advance(seconds=1), "dislike"))
    assert [f.reaction for f in await stores.feedback.list()] == ["like", "dislike"]


def test_reactions_other_than_like_and_dislike_are_refused() -> None:
    for bad in ("love", "", "LIKE", "thumbsup"):
        with pytest.raises(ValueError, match="reaction"):
            feedback(1, T0, bad)
    with pytest.raises(ValueError, match="surface"):
        feedback(1, T0, surface="email")
    with pytest.raises(ValueError, match="timezone"):
        feedback(1, datetime(2026, 1, 1))


@pytest.mark.asyncio
async def test_a_sent_message_leads_back_to_its_answer(stores: StateStores, clock: Clock) -> None:
    sent = AnsweredMessage("19:a|1700000000001", "answer-7", clock.now, ("drive/item-1",), "p-123")
    await stores.feedback.remember_message(sent)
    assert await stores.feedback.message_answer("19:a|1700000000001") == sent
    assert await stores.feedback.message_answer("19:b|1700000000001") is None
    assert await stores.feedback.message_answer("unknown") is None
    replaced = AnsweredMessage(sent.message_key, "answer-8", clock.advance(seconds=1))
    await stores.feedback.remember_message(replaced)
    assert await stores.feedback.message_answer(sent.message_key) == replaced


@pytest.mark.asyncio
async def test_remembered_messages_expire_after_their_retention(opener: Opener, clock: Clock) -> None:
    opened = await opener(message_retention=timedelta(days=2), clock=clock)
    try:
        await opened.feedback.remember_message(AnsweredMessage("old", "answer-1", clock.now))
        clock.advance(days=1)
        await opened.feedback.remember_message(AnsweredMessage("new", "answer-2", clock.now))
        clock.advance(days=1, seconds=1)
        assert await opened.feedback.message_answer("old") is None
        assert await opened.feedback.message_answer("new") is not None
    finally:
        await opened.aclose()


# --- duplicate-delivery guard --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_key_is_claimed_once(stores: StateStores) -> None:
    assert await stores.delivery.claim("msteams|19:a|act-1") is True
    assert await stores.delivery.claim("msteams|19:a|act-1") is False
    assert await stores.delivery.claim("msteams|19:a|act-2") is True
    with pytest.raises(ValueError):
        await stores.delivery.claim("")


@pytest.mark.asyncio
async def test_concurrent_claims_from_two_connections_have_one_winner(opener: Opener, clock: Clock) -> None:
    first, second = await opener(clock=clock), await opener(clock=clock)
    try:
        guards = [first.delivery, second.delivery]
        for key in ("k-1", "k-2", "k-3"):
            results = await asyncio.gather(*(guards[n % 2].claim(key) for n in range(50)))
            assert results.count(True) == 1, key
    finally:
        await first.aclose()
        await second.aclose()


def _claim_in_process(opener: Opener, keys: list[str], barrier: Any, results: Any) -> None:
    async def main() -> list[str]:
        opened = await opener()
        try:
            barrier.wait(timeout=60)
            return [key for key in keys if await opened.delivery.claim(key)]
        finally:
            await opened.aclose()

    results.put(asyncio.run(main()))


def test_two_processes_claiming_the_same_keys_win_each_key_once(opener: Opener) -> None:
    keys = [f"msteams|19:room|act-{n}" for n in range(120)]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    # Both open fresh storage at the same time, so creating the schema races too.
    workers = [context.Process(target=_claim_in_process, args=(opener, keys, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        won = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    assert all(worker.exitcode == 0 for worker in workers)
    assert sorted(won[0] + won[1]) == sorted(keys)
    assert not set(won[0]) & set(won[1])


@pytest.mark.asyncio
async def test_claims_expire_after_the_ttl(stores: StateStores, clock: Clock) -> None:
    assert await stores.delivery.claim("old")
    clock.advance(minutes=20)
    assert await stores.delivery.claim("newer")
    clock.advance(minutes=11)  # "old" is 31 minutes old, past the 30-minute TTL; "newer" is 11
    assert await stores.delivery.claim("old") is True
    assert await stores.delivery.claim("newer") is False


@pytest.mark.asyncio
async def test_release_lets_a_failed_turn_be_claimed_again_but_done_does_not(stores: StateStores) -> None:
    assert await stores.delivery.claim("failed")
    await stores.delivery.release("failed")
    assert await stores.delivery.claim("failed") is True
    assert await stores.delivery.claim("failed") is False
    assert await stores.delivery.claim("delivered")
    await stores.delivery.done("delivered")
    await stores.delivery.release("delivered")
    assert await stores.delivery.claim("delivered") is False
    await stores.delivery.release("never-claimed")


# --- durability ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_everything_survives_closing_and_reopening(opener: Opener, clock: Clock) -> None:
    opened = await opener(history=LIMITS, clock=clock)
    await opened.conversations.append("k", exchange(1, clock.now))
    await opened.feedback.add(feedback(1, clock.now, comment="gut"))
    await opened.feedback.remember_message(AnsweredMessage("m-1", "answer-1", clock.now))
    assert await opened.delivery.claim("act-1")
    await opened.aclose()
    await opened.aclose()  # closing twice is harmless

    reopened = await opener(history=LIMITS, clock=clock)
    try:
        assert [t.text for t in await reopened.conversations.history("k")] == ["question 1", "answer 1"]
        assert [f.comment for f in await reopened.feedback.list()] == ["gut"]
        assert (await reopened.feedback.message_answer("m-1")) is not None
        assert await reopened.delivery.claim("act-1") is False
    finally:
        await reopened.aclose()


@pytest.mark.asyncio
async def test_a_closed_store_says_so(opener: Opener) -> None:
    opened = await opener()
    await opened.aclose()
    with pytest.raises(StateStoreError, match="closed"):
        await opened.delivery.claim("k")
