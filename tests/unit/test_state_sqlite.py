"""The SQLite state backend beyond the contract: WAL and schema version, bounded growth on disk,
and clear errors for a corrupt file, an unusable directory or a newer schema."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from state import AnsweredMessage, StateStoreError, open_sqlite_state
from state.sqlite_database import DB_FILE, SCHEMA_VERSION
from tests.unit.test_state_contract import LIMITS, Clock, exchange


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _sqlite_rows(directory: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(directory / DB_FILE)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_sqlite_uses_wal_and_records_the_schema_version(tmp_path: Path) -> None:
    opened = open_sqlite_state(tmp_path)
    await opened.aclose()
    assert _sqlite_rows(tmp_path, "PRAGMA journal_mode") == [("wal",)]
    assert _sqlite_rows(tmp_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


@pytest.mark.asyncio
async def test_sqlite_growth_is_bounded_on_write(tmp_path: Path, clock: Clock) -> None:
    opened = open_sqlite_state(
        tmp_path, history=LIMITS, delivery_ttl=timedelta(minutes=30), message_retention=timedelta(days=1), clock=clock
    )
    try:
        for n in range(10):
            await opened.conversations.append("busy", exchange(n, clock.now))
        await opened.conversations.append("idle", exchange(0, clock.now))
        for n in range(5):
            await opened.delivery.claim(f"act-{n}")
            await opened.feedback.remember_message(AnsweredMessage(f"m-{n}", "a", clock.now))
        count = "SELECT conversation_key, count(*) FROM conversation_turns GROUP BY conversation_key ORDER BY 1"
        assert _sqlite_rows(tmp_path, count) == [("busy", 4), ("idle", 2)]
        clock.advance(days=2)
        await opened.conversations.append("busy", exchange(99, clock.now))
        await opened.delivery.claim("act-new")
        await opened.feedback.remember_message(AnsweredMessage("m-new", "a", clock.now))
    finally:
        await opened.aclose()
    assert _sqlite_rows(tmp_path, count) == [("busy", 2)]  # the idle conversation was pruned too
    assert _sqlite_rows(tmp_path, "SELECT key FROM delivery_claims") == [("act-new",)]
    assert _sqlite_rows(tmp_path, "SELECT message_key FROM answered_messages") == [("m-new",)]


def test_sqlite_refuses_a_corrupt_database_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DB_FILE).write_bytes(b"this is not a database, it is a note " * 200)
    with pytest.raises(StateStoreError, match="cannot open the state database") as raised:
        open_sqlite_state(tmp_path)
    assert str(tmp_path / DB_FILE) in str(raised.value)
    assert "not a database" in str(raised.value)


def test_sqlite_refuses_an_unusable_directory_with_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the state directory should be")
    with pytest.raises(StateStoreError, match="cannot create the state directory") as raised:
        open_sqlite_state(blocker / "state")
    assert str(blocker / "state") in str(raised.value)


def test_sqlite_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_FILE)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StateStoreError, match="newer version"):
        open_sqlite_state(tmp_path)


def _open_when_released(directory: str, barrier: Any) -> None:
    from state.sqlite_database import SQLiteDatabase  # noqa: PLC0415 - in the spawned process

    barrier.wait(timeout=60)
    SQLiteDatabase(directory).close()


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    """Two replicas, or the app and a sync, starting together race for the switch to WAL and the
    schema; SQLite answers "database is locked" at once there, which must not stop a start-up."""
    import multiprocessing  # noqa: PLC0415

    context = multiprocessing.get_context("spawn")
    failed = 0
    for round_ in range(6):
        barrier = context.Barrier(4)
        workers = [
            context.Process(target=_open_when_released, args=(str(tmp_path / f"r{round_}"), barrier)) for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        failed += sum(worker.exitcode != 0 for worker in workers)
    assert failed == 0
