"""The PostgreSQL database behind the shared state (``DATABASE_URL``): pool, schema, availability.

Driver: asyncpg (see docs/architecture.md#dependencies). Its pool with ``min_size=0`` opens a
connection inside ``acquire`` and raises there when it cannot, with no reconnect loop of its own,
so an outage and the recovery after it are decided here, in one place:

* every failure to reach the server marks the database *unavailable*, logs one line, and drops
  the pooled connections; while unavailable, calls fail at once with :class:`StateStoreError`
  (callers answer without history; no request waits for a dead server);
* a probe (``SELECT 1``) runs every ``probe_interval_s``; the first that succeeds marks the
  database available again and logs it. Nothing needs a restart.

The schema is applied at start (and on first use after an outage at start) from
:data:`MIGRATIONS`, one tuple of statements per version, under a transaction-scoped advisory lock
so that replicas starting together migrate once. Version 1 mirrors the SQLite schema (see
``state.sqlite_database``); version 2 adds the audit chain (written by ``audit.postgres_trail``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from state.stores import StateStoreError

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATION_LOCK = 0x5A55_0001
"""The advisory lock key (``pg_advisory_xact_lock``) the migration holds."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE conversation_turns (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            conversation_key TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            text TEXT NOT NULL,
            time TIMESTAMPTZ NOT NULL,
            cited TEXT[] NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX conversation_turns_by_key ON conversation_turns (conversation_key, time, id)",
        "CREATE INDEX conversation_turns_by_time ON conversation_turns (time)",
        """CREATE TABLE feedback (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            answer_id TEXT NOT NULL,
            reaction TEXT NOT NULL CHECK (reaction IN ('like', 'dislike')),
            comment TEXT NOT NULL,
            time TIMESTAMPTZ NOT NULL,
            asker TEXT NOT NULL,
            message_key TEXT NOT NULL,
            cited TEXT[] NOT NULL,
            surface TEXT NOT NULL CHECK (surface IN ('teams', 'web'))
        )""",
        "CREATE INDEX feedback_by_time ON feedback (time, id)",
        """CREATE TABLE answered_messages (
            message_key TEXT PRIMARY KEY,
            answer_id TEXT NOT NULL,
            time TIMESTAMPTZ NOT NULL,
            cited TEXT[] NOT NULL,
            asker TEXT NOT NULL
        )""",
        "CREATE INDEX answered_messages_by_time ON answered_messages (time)",
        """CREATE TABLE delivery_claims (
            key TEXT PRIMARY KEY,
            claimed_at TIMESTAMPTZ NOT NULL,
            done BOOLEAN NOT NULL DEFAULT FALSE
        )""",
        "CREATE INDEX delivery_claims_by_time ON delivery_claims (claimed_at)",
    ),
    (
        """CREATE TABLE audit_records (
            seq BIGINT PRIMARY KEY,
            entry_id TEXT NOT NULL UNIQUE,
            time TIMESTAMPTZ NOT NULL,
            record TEXT NOT NULL
        )""",
        "CREATE INDEX audit_records_by_time ON audit_records (time)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
)
"""Errors that mean the server cannot be reached (as opposed to a refused statement)."""


async def _migrate(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        found = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))
        if found > SCHEMA_VERSION:
            raise StateStoreError(
                f"the PostgreSQL state database has schema version {found}; this program knows up to "
                f"{SCHEMA_VERSION}. Run the newer version, or point DATABASE_URL elsewhere."
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
        if found < SCHEMA_VERSION:
            log.info("PostgreSQL state schema migrated from version %d to %d", found, SCHEMA_VERSION)


class PostgresDatabase:
    """One PostgreSQL database for every state store of a process (one pool, one availability).

    ``url`` is a ``postgresql://`` URL (libpq syntax; asyncpg reads it). Nothing is opened in the
    constructor: :meth:`start` connects, migrates and starts the probe, and any call before it
    (or after an outage at start) does the same on first use.
    """

    def __init__(
        self,
        url: str,
        *,
        max_size: int = 10,
        timeout_s: float = 3.0,
        probe_interval_s: float = 5.0,
    ) -> None:
        self._url = url
        self._max_size = max_size
        self._timeout_s = timeout_s
        self._probe_interval_s = probe_interval_s
        self._pool: asyncpg.Pool | None = None
        self._ready = False  # connected and migrated at least once
        self._open_lock: asyncio.Lock | None = None
        self._probe: asyncio.Task[None] | None = None
        self._closed = False
        self.available = True
        self.last_error = ""

    def health(self) -> dict[str, Any]:
        """For ``/readyz``: which backend, whether it answers, and the last error if not."""
        body: dict[str, Any] = {"backend": "postgresql", "available": self.available and self._ready}
        if not body["available"]:
            body["error"] = self.last_error or "not connected yet"
        return body

    async def start(self) -> None:
        """Connect and migrate; on an outage log it and keep going (the probe retries). A schema
        newer than this program's is raised: that needs an operator, not a retry."""
        with contextlib.suppress(StateStoreError):
            await self._ensure_ready()
        if not self._ready and self.last_error.startswith("the PostgreSQL state database has schema"):
            raise StateStoreError(self.last_error)
        if self._probe is None and not self._closed:
            self._probe = asyncio.create_task(self._probe_loop(), name="state-postgres-probe")

    async def _ensure_ready(self) -> asyncpg.Pool:
        if self._closed:
            raise StateStoreError("the PostgreSQL state database is closed")
        if self._pool is not None and self._ready:
            return self._pool
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            try:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._url,
                        min_size=0,
                        max_size=self._max_size,
                        timeout=self._timeout_s,
                        command_timeout=self._timeout_s,
                        max_inactive_connection_lifetime=60.0,
                    )
                if not self._ready:
                    async with self._pool.acquire(timeout=self._timeout_s) as conn:
                        await _migrate(conn)
                    self._ready = True
                    self._mark_available()
            except StateStoreError as error:
                self.last_error = str(error)
                raise
            except OUTAGE_ERRORS as error:
                await self._mark_unavailable(error)
                raise StateStoreError(f"PostgreSQL state database unreachable: {self.last_error}") from error
            except (asyncpg.PostgresError, ValueError) as error:  # bad credentials, bad URL
                await self._mark_unavailable(error)
                raise StateStoreError(f"cannot open the PostgreSQL state database: {self.last_error}") from error
            return self._pool

    async def _mark_unavailable(self, error: BaseException) -> None:
        self.last_error = f"{type(error).__name__}: {error}"[:300]
        if self.available:
            self.available = False
            log.error(
                "PostgreSQL state database unavailable (%s): answering without conversation history; "
                "feedback is not stored, audit records wait in the local spool; retrying every %.0f s",
                self.last_error,
                self._probe_interval_s,
            )
        if self._pool is not None:
            await self._pool.expire_connections()

    def _mark_available(self) -> None:
        if not self.available:
            log.warning("PostgreSQL state database available again: history, feedback and audit resume")
        self.available = True
        self.last_error = ""

    async def run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``work`` with a pooled connection. Raises :class:`StateStoreError` at once while the
        database is unavailable, and when the work fails."""
        if not self.available:
            raise StateStoreError(f"PostgreSQL state database unavailable: {self.last_error}")
        pool = await self._ensure_ready()
        for attempt in (1, 2):
            try:
                async with pool.acquire(timeout=self._timeout_s) as conn:
                    return await work(conn)
            except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError) as error:
                # A pooled connection that died with a server restart: retry once on a new one.
                if attempt == 2:
                    await self._mark_unavailable(error)
                    raise StateStoreError(f"PostgreSQL state database unreachable: {self.last_error}") from error
                await pool.expire_connections()
            except OUTAGE_ERRORS as error:
                await self._mark_unavailable(error)
                raise StateStoreError(f"PostgreSQL state database unreachable: {self.last_error}") from error
            except asyncpg.PostgresError as error:
                raise StateStoreError(f"PostgreSQL state database: {type(error).__name__}: {error}") from error
        raise AssertionError("unreachable")

    async def _probe_once(self) -> None:
        try:
            pool = await self._ensure_ready()
            async with pool.acquire(timeout=self._timeout_s) as conn:
                await conn.fetchval("SELECT 1")
        except StateStoreError:
            return
        except OUTAGE_ERRORS as error:
            await self._mark_unavailable(error)
            return
        self._mark_available()

    async def _probe_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._probe_interval_s)
            try:
                await self._probe_once()
            except Exception:  # noqa: BLE001 - the probe must outlive any one failure
                log.exception("PostgreSQL state probe failed")

    async def aclose(self) -> None:
        """Stop the probe and close the pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), self._timeout_s)
            except OUTAGE_ERRORS:  # asyncio.TimeoutError is one of them
                self._pool.terminate()
