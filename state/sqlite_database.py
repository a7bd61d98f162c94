"""The SQLite file behind the embedded state stores: connection, worker thread, schema.

Why it is safe with several processes on one machine (the server and ``app.py ask``, or a few
workers): WAL mode (readers never block the writer), ``busy_timeout`` (a writer waits for the
lock instead of failing), ``synchronous=FULL`` (a committed claim survives a power cut), and every
read-modify-write inside one ``BEGIN IMMEDIATE`` transaction (:func:`transaction`).

Each database object owns one connection, used only from its own single worker thread, so the
event loop never waits on disk. Times are stored as integer microseconds since the epoch (UTC),
exact on the way back.

The schema is versioned with ``PRAGMA user_version`` and applied by :data:`MIGRATIONS` (one
tuple of statements per version); ``state.postgres_database`` mirrors version 1.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from state.stores import StateStoreError

DB_FILE = "state.sqlite3"
T = TypeVar("T")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE conversation_turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_key TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            text TEXT NOT NULL,
            time_us INTEGER NOT NULL,
            cited TEXT NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX conversation_turns_by_key ON conversation_turns (conversation_key, time_us, id)",
        "CREATE INDEX conversation_turns_by_time ON conversation_turns (time_us)",
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            answer_id TEXT NOT NULL,
            reaction TEXT NOT NULL CHECK (reaction IN ('like', 'dislike')),
            comment TEXT NOT NULL,
            time_us INTEGER NOT NULL,
            asker TEXT NOT NULL,
            message_key TEXT NOT NULL,
            cited TEXT NOT NULL,
            surface TEXT NOT NULL CHECK (surface IN ('teams', 'web'))
        )""",
        "CREATE INDEX feedback_by_time ON feedback (time_us, id)",
        """CREATE TABLE answered_messages (
            message_key TEXT PRIMARY KEY,
            answer_id TEXT NOT NULL,
            time_us INTEGER NOT NULL,
            cited TEXT NOT NULL,
            asker TEXT NOT NULL
        )""",
        "CREATE INDEX answered_messages_by_time ON answered_messages (time_us)",
        """CREATE TABLE delivery_claims (
            key TEXT PRIMARY KEY,
            claimed_us INTEGER NOT NULL,
            done INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX delivery_claims_by_time ON delivery_claims (claimed_us)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` takes the write lock at once, so no other process can slip in between a
    read and the write that depends on it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _while_locked(work: Callable[[], T], deadline: float) -> T:
    """``work``, tried again while another process holds the lock, until ``deadline``. Two
    processes opening a new database at once race for the switch to WAL and the schema, and
    SQLite answers those with "database is locked" at once rather than through the busy handler
    (seen when two replicas, or the app and a sync, start together)."""
    while True:
        try:
            return work()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(0.02)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    def version() -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def check(found: int) -> None:
        if found > SCHEMA_VERSION:
            raise StateStoreError(
                f"the state database {path} has schema version {found}; this program knows up to "
                f"{SCHEMA_VERSION}. Run the newer version, or point DATA_DIR elsewhere."
            )

    check(version())
    if version() == SCHEMA_VERSION:
        return
    with transaction(conn):
        found = version()  # another process may have migrated while we waited for the lock
        check(found)
        for statements in MIGRATIONS[found:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class SQLiteDatabase:
    """One state database file, opened (and migrated) at construction.

    Raises :class:`StateStoreError` with the path and the cause when the directory cannot be
    created or written, or the file is not a SQLite database.
    """

    def __init__(self, directory: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_FILE
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateStoreError(f"cannot create the state directory {self.directory}: {error}") from error
        self._busy_timeout_s = busy_timeout_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state-sqlite")
        self._closed = False
        try:
            self._conn = self._executor.submit(self._connect).result()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._open_error(error) from error
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            deadline = time.monotonic() + self._busy_timeout_s
            mode = _while_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0], deadline)
            if str(mode).lower() != "wal":
                raise StateStoreError(f"the state database {self.path} cannot use WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous = FULL")
            _while_locked(lambda: _migrate(conn, self.path), deadline)
        except sqlite3.Error as error:
            conn.close()
            raise self._open_error(error) from error
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_error(self, error: sqlite3.Error) -> StateStoreError:
        return StateStoreError(
            f"cannot open the state database {self.path}: {error}. It must be a SQLite file in a "
            "writable directory; move a damaged file aside and a new, empty one is created."
        )

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` with the connection on the database's worker thread."""
        if self._closed:
            raise StateStoreError(f"the state database {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, work, self._conn)
        except sqlite3.Error as error:
            raise StateStoreError(f"state database {self.path}: {error}") from error

    def close(self) -> None:
        """Close the connection after work already queued; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._conn.close).result()
        self._executor.shutdown(wait=True)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)
