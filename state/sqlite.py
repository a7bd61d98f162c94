"""The embedded default: all three stores in one SQLite file, ``<directory>/state.sqlite3``.

The file, its connection and its schema are :mod:`state.sqlite_database`. A claim is
``INSERT ... ON CONFLICT DO NOTHING`` inside one ``BEGIN IMMEDIATE`` transaction and succeeds
when it inserted a row, so it is atomic across processes. Cited document ids are stored as a JSON
array.

Growth is bounded: a conversation keeps at most ``max_turns`` turns (trimmed on append) and
turns older than the history TTL are deleted on every append; delivery claims older than their
TTL are deleted on every claim; remembered answer messages older than their retention are deleted
on every ``remember_message``. Feedback records are kept (they are what the feedback report
reads); removing them is an administrator's decision.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from state.conversations import HistoryLimits, Turn, bound_history
from state.feedback import AnsweredMessage, Feedback
from state.sqlite_database import SQLiteDatabase, from_us, to_us, transaction
from state.stores import Clock, StateStores, utc_now


class SQLiteConversationStore:
    """:class:`~state.conversations.ConversationStore` in SQLite."""

    def __init__(self, db: SQLiteDatabase, limits: HistoryLimits | None = None, clock: Clock = utc_now) -> None:
        self._db = db
        self.limits = limits or HistoryLimits()
        self._clock = clock

    async def history(self, conversation_key: str) -> list[Turn]:
        now = self._clock()
        cutoff = to_us(now - self.limits.ttl)

        def read(conn: sqlite3.Connection) -> list[Turn]:
            rows = conn.execute(
                "SELECT role, text, time_us, cited FROM conversation_turns"
                " WHERE conversation_key = ? AND time_us > ? ORDER BY time_us DESC, id DESC LIMIT ?",
                (conversation_key, cutoff, self.limits.max_turns),
            ).fetchall()
            return [Turn(role, text, from_us(us), tuple(json.loads(cited))) for role, text, us, cited in reversed(rows)]

        return bound_history(await self._db.run(read), self.limits, now)

    async def append(self, conversation_key: str, turns: Sequence[Turn]) -> None:
        cutoff = to_us(self._clock() - self.limits.ttl)
        rows = [(conversation_key, t.role, t.text, to_us(t.time), json.dumps(list(t.cited))) for t in turns]

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO conversation_turns (conversation_key, role, text, time_us, cited) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                conn.execute(
                    "DELETE FROM conversation_turns WHERE conversation_key = ? AND id NOT IN ("
                    " SELECT id FROM conversation_turns WHERE conversation_key = ?"
                    " ORDER BY time_us DESC, id DESC LIMIT ?)",
                    (conversation_key, conversation_key, self.limits.max_turns),
                )
                conn.execute("DELETE FROM conversation_turns WHERE time_us <= ?", (cutoff,))

        await self._db.run(write)

    async def clear(self, conversation_key: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM conversation_turns WHERE conversation_key = ?", (conversation_key,))

        await self._db.run(delete)


class SQLiteFeedbackStore:
    """:class:`~state.feedback.FeedbackStore` in SQLite; remembered messages are kept for
    ``message_retention`` (after that, feedback on them finds no answer)."""

    def __init__(
        self, db: SQLiteDatabase, message_retention: timedelta = timedelta(days=30), clock: Clock = utc_now
    ) -> None:
        self._db = db
        self.message_retention = message_retention
        self._clock = clock

    async def add(self, feedback: Feedback) -> None:
        row = (
            feedback.answer_id,
            feedback.reaction,
            feedback.comment,
            to_us(feedback.time),
            feedback.asker,
            feedback.message_key,
            json.dumps(list(feedback.cited)),
            feedback.surface,
        )

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO feedback (answer_id, reaction, comment, time_us, asker, message_key, cited, surface)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

        await self._db.run(write)

    async def list(self, since: datetime | None = None) -> builtins.list[Feedback]:
        floor = to_us(since) if since is not None else None

        def read(conn: sqlite3.Connection) -> builtins.list[Feedback]:
            rows = conn.execute(
                "SELECT answer_id, reaction, comment, time_us, asker, message_key, cited, surface FROM feedback"
                " WHERE ? IS NULL OR time_us >= ? ORDER BY time_us, id",
                (floor, floor),
            ).fetchall()
            return [
                Feedback(
                    answer_id=answer_id,
                    reaction=reaction,
                    comment=comment,
                    time=from_us(us),
                    asker=asker,
                    message_key=message_key,
                    cited=tuple(json.loads(cited)),
                    surface=surface,
                )
                for answer_id, reaction, comment, us, asker, message_key, cited, surface in rows
            ]

        return await self._db.run(read)

    async def remember_message(self, message: AnsweredMessage) -> None:
        cutoff = to_us(self._clock() - self.message_retention)
        row = (
            message.message_key,
            message.answer_id,
            to_us(message.time),
            json.dumps(list(message.cited)),
            message.asker,
        )

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO answered_messages (message_key, answer_id, time_us, cited, asker) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (message_key) DO UPDATE SET answer_id = excluded.answer_id,"
                    " time_us = excluded.time_us, cited = excluded.cited, asker = excluded.asker",
                    row,
                )
                conn.execute("DELETE FROM answered_messages WHERE time_us <= ?", (cutoff,))

        await self._db.run(write)

    async def message_answer(self, message_key: str) -> AnsweredMessage | None:
        cutoff = to_us(self._clock() - self.message_retention)

        def read(conn: sqlite3.Connection) -> AnsweredMessage | None:
            row = conn.execute(
                "SELECT answer_id, time_us, cited, asker FROM answered_messages WHERE message_key = ? AND time_us > ?",
                (message_key, cutoff),
            ).fetchone()
            if row is None:
                return None
            answer_id, us, cited, asker = row
            return AnsweredMessage(message_key, answer_id, from_us(us), tuple(json.loads(cited)), asker)

        return await self._db.run(read)


class SQLiteDeliveryGuard:
    """:class:`~state.dedup.DeliveryGuard` in SQLite; claims are remembered for ``ttl``."""

    def __init__(self, db: SQLiteDatabase, ttl: timedelta = timedelta(hours=24), clock: Clock = utc_now) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._db = db
        self.ttl = ttl
        self._clock = clock

    async def claim(self, key: str) -> bool:
        if not key:
            raise ValueError("a delivery key must not be empty")
        now = self._clock()
        now_us, cutoff = to_us(now), to_us(now - self.ttl)

        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                conn.execute("DELETE FROM delivery_claims WHERE claimed_us <= ?", (cutoff,))
                cursor = conn.execute(
                    "INSERT INTO delivery_claims (key, claimed_us) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (key, now_us),
                )
                return cursor.rowcount == 1

        return await self._db.run(write)

    async def release(self, key: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM delivery_claims WHERE key = ? AND done = 0", (key,))

        await self._db.run(delete)

    async def done(self, key: str) -> None:
        def mark(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE delivery_claims SET done = 1 WHERE key = ?", (key,))

        await self._db.run(mark)


def open_sqlite_state(
    directory: Path | str,
    *,
    history: HistoryLimits | None = None,
    delivery_ttl: timedelta = timedelta(hours=24),
    message_retention: timedelta = timedelta(days=30),
    clock: Clock = utc_now,
) -> StateStores:
    """Open (creating and migrating as needed) the SQLite state in ``directory``, usually
    ``DATA_DIR/state``. Raises :class:`StateStoreError` when it cannot. Opening blocks briefly
    (connect, migrate); call it while the app starts, not per request."""
    db = SQLiteDatabase(directory)
    return StateStores(
        conversations=SQLiteConversationStore(db, history, clock),
        feedback=SQLiteFeedbackStore(db, message_retention, clock),
        delivery=SQLiteDeliveryGuard(db, delivery_ttl, clock),
        closer=db.aclose,
    )
