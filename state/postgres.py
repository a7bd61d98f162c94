"""The shared state for several replicas: all three stores in one PostgreSQL database.

The database, its pool, schema and availability are :mod:`state.postgres_database`. The stores
follow the SQLite backend statement for statement where they can; the differences:

* a claim is one ``INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE <expired> RETURNING``: it
  succeeds when it inserted a row or took over an expired one, atomically in every replica;
* pruning of expired rows never takes a row lock another transaction holds
  (``FOR UPDATE SKIP LOCKED``), so concurrent writers on several replicas cannot deadlock on it;
  reads filter by age themselves, so a row not yet pruned is never handed back.

Growth is bounded as with SQLite: turns are trimmed to ``max_turns`` and by TTL on append, claims
by their TTL on claim, remembered messages by their retention on ``remember_message``; feedback
records are kept.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from state.conversations import HistoryLimits, Turn, bound_history
from state.feedback import AnsweredMessage, Feedback
from state.postgres_database import PostgresDatabase
from state.stores import Clock, StateStores, utc_now


def _prune(table: str, column: str, key: str) -> str:
    return f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {column} <= $1 FOR UPDATE SKIP LOCKED)"


class PostgresConversationStore:
    """:class:`~state.conversations.ConversationStore` in PostgreSQL."""

    def __init__(self, db: PostgresDatabase, limits: HistoryLimits | None = None, clock: Clock = utc_now) -> None:
        self._db = db
        self.limits = limits or HistoryLimits()
        self._clock = clock

    async def history(self, conversation_key: str) -> list[Turn]:
        now = self._clock()

        async def read(conn: asyncpg.Connection) -> list[Turn]:
            rows = await conn.fetch(
                "SELECT role, text, time, cited FROM conversation_turns"
                " WHERE conversation_key = $1 AND time > $2 ORDER BY time DESC, id DESC LIMIT $3",
                conversation_key,
                now - self.limits.ttl,
                self.limits.max_turns,
            )
            return [Turn(r["role"], r["text"], r["time"], tuple(r["cited"])) for r in reversed(rows)]

        return bound_history(await self._db.run(read), self.limits, now)

    async def append(self, conversation_key: str, turns: Sequence[Turn]) -> None:
        cutoff = self._clock() - self.limits.ttl
        rows = [(conversation_key, t.role, t.text, t.time, list(t.cited)) for t in turns]

        async def write(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                await conn.executemany(
                    "INSERT INTO conversation_turns (conversation_key, role, text, time, cited)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    rows,
                )
                await conn.execute(
                    "DELETE FROM conversation_turns WHERE conversation_key = $1 AND id NOT IN ("
                    " SELECT id FROM conversation_turns WHERE conversation_key = $1"
                    " ORDER BY time DESC, id DESC LIMIT $2)",
                    conversation_key,
                    self.limits.max_turns,
                )
            await conn.execute(_prune("conversation_turns", "time", "id"), cutoff)

        await self._db.run(write)

    async def clear(self, conversation_key: str) -> None:
        async def delete(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM conversation_turns WHERE conversation_key = $1", conversation_key)

        await self._db.run(delete)


class PostgresFeedbackStore:
    """:class:`~state.feedback.FeedbackStore` in PostgreSQL; remembered messages are kept for
    ``message_retention``."""

    def __init__(
        self, db: PostgresDatabase, message_retention: timedelta = timedelta(days=30), clock: Clock = utc_now
    ) -> None:
        self._db = db
        self.message_retention = message_retention
        self._clock = clock

    async def add(self, feedback: Feedback) -> None:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO feedback (answer_id, reaction, comment, time, asker, message_key, cited, surface)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                feedback.answer_id,
                feedback.reaction,
                feedback.comment,
                feedback.time,
                feedback.asker,
                feedback.message_key,
                list(feedback.cited),
                feedback.surface,
            )

        await self._db.run(write)

    async def list(self, since: datetime | None = None) -> builtins.list[Feedback]:
        async def read(conn: asyncpg.Connection) -> builtins.list[Feedback]:
            rows = await conn.fetch(
                "SELECT answer_id, reaction, comment, time, asker, message_key, cited, surface FROM feedback"
                " WHERE $1::timestamptz IS NULL OR time >= $1 ORDER BY time, id",
                since,
            )
            return [_feedback(row) for row in rows]

        return await self._db.run(read)

    async def remember_message(self, message: AnsweredMessage) -> None:
        cutoff = self._clock() - self.message_retention

        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO answered_messages (message_key, answer_id, time, cited, asker) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (message_key) DO UPDATE SET answer_id = excluded.answer_id,"
                " time = excluded.time, cited = excluded.cited, asker = excluded.asker",
                message.message_key,
                message.answer_id,
                message.time,
                list(message.cited),
                message.asker,
            )
            await conn.execute(_prune("answered_messages", "time", "message_key"), cutoff)

        await self._db.run(write)

    async def message_answer(self, message_key: str) -> AnsweredMessage | None:
        cutoff = self._clock() - self.message_retention

        async def read(conn: asyncpg.Connection) -> AnsweredMessage | None:
            row = await conn.fetchrow(
                "SELECT answer_id, time, cited, asker FROM answered_messages WHERE message_key = $1 AND time > $2",
                message_key,
                cutoff,
            )
            if row is None:
                return None
            return AnsweredMessage(message_key, row["answer_id"], row["time"], tuple(row["cited"]), row["asker"])

        return await self._db.run(read)


def _feedback(row: Any) -> Feedback:
    return Feedback(
        answer_id=row["answer_id"],
        reaction=row["reaction"],
        comment=row["comment"],
        time=row["time"],
        asker=row["asker"],
        message_key=row["message_key"],
        cited=tuple(row["cited"]),
        surface=row["surface"],
    )


class PostgresDeliveryGuard:
    """:class:`~state.dedup.DeliveryGuard` in PostgreSQL; claims are remembered for ``ttl``."""

    def __init__(self, db: PostgresDatabase, ttl: timedelta = timedelta(hours=24), clock: Clock = utc_now) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._db = db
        self.ttl = ttl
        self._clock = clock

    async def claim(self, key: str) -> bool:
        if not key:
            raise ValueError("a delivery key must not be empty")
        now = self._clock()
        cutoff = now - self.ttl

        async def write(conn: asyncpg.Connection) -> bool:
            won = await conn.fetchval(
                "INSERT INTO delivery_claims (key, claimed_at) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET claimed_at = excluded.claimed_at, done = FALSE"
                " WHERE delivery_claims.claimed_at <= $3 RETURNING key",
                key,
                now,
                cutoff,
            )
            await conn.execute(_prune("delivery_claims", "claimed_at", "key"), cutoff)
            return won is not None

        return await self._db.run(write)

    async def release(self, key: str) -> None:
        async def delete(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM delivery_claims WHERE key = $1 AND NOT done", key)

        await self._db.run(delete)

    async def done(self, key: str) -> None:
        async def mark(conn: asyncpg.Connection) -> None:
            await conn.execute("UPDATE delivery_claims SET done = TRUE WHERE key = $1", key)

        await self._db.run(mark)


def open_postgres_state(
    url: str | PostgresDatabase,
    *,
    history: HistoryLimits | None = None,
    delivery_ttl: timedelta = timedelta(hours=24),
    message_retention: timedelta = timedelta(days=30),
    clock: Clock = utc_now,
    max_size: int = 10,
    timeout_s: float = 3.0,
) -> StateStores:
    """The PostgreSQL state at ``url`` (``DATABASE_URL``), or on an already built database. Opens
    nothing yet: ``await stores.start()`` connects and migrates (the app does it at start)."""
    db = url if isinstance(url, PostgresDatabase) else PostgresDatabase(url, max_size=max_size, timeout_s=timeout_s)
    return StateStores(
        conversations=PostgresConversationStore(db, history, clock),
        feedback=PostgresFeedbackStore(db, message_retention, clock),
        delivery=PostgresDeliveryGuard(db, delivery_ttl, clock),
        closer=db.aclose,
        starter=db.start,
        health=db.health,
    )
