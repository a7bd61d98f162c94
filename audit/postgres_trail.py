"""The audit trail in PostgreSQL: one hash chain for every replica, serialised in the database.

Records are the same JSON objects as in the files (``audit.trail``), chained the same way, one row
each in ``audit_records`` (``seq``, the record's JSON text, its time, and an ``entry_id`` that makes
a retried write idempotent). A writer appends inside one transaction that first takes the
transaction-scoped advisory lock :data:`AUDIT_LOCK`, then reads the chain head and inserts after
it; so replicas append one at a time and ``seq`` has no gaps. ``app.py audit verify`` checks the
rows in ``seq`` order with the same verifier as the files (:func:`verify_postgres_trail`).

Every record is first appended (fsync'd) to ``<AUDIT_DIR>/pending.jsonl``, the spool, and then
moved into the chain with everything already waiting there; the spool is emptied once the
transaction committed. While the database is away records wait in the spool (a warning says so)
and join the chain, in order, with the next record written after it is back (and at start). An
answer never waits for, or fails because of, the audit database.

Retention deletes rows older than ``retention_days`` (checked once a day per process) and appends
a ``retention`` record naming the last removed ``seq`` and ``mac``, as the file trail does.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from audit.trail import AuditRecord, AuditSettings, AuditTrail, VerifyResult, verify_lines

log = logging.getLogger(__name__)
T = TypeVar("T")

AUDIT_LOCK = 0x5A55_0002
"""The advisory lock key that serialises appends to the chain."""
SPOOL = "pending.jsonl"


class Database(Protocol):
    """Runs work with a database connection (``state.postgres_database.PostgresDatabase``);
    raises an exception when the database cannot be reached."""

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T: ...


class PostgresAuditTrail(AuditTrail):
    """Appends records to the shared chain; safe with any number of processes and replicas."""

    def __init__(
        self, settings: AuditSettings, db: Database, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        super().__init__(settings, clock)
        self._db = db
        self._spool = settings.directory / SPOOL
        self._pruned_pg: date | None = None

    async def record(self, record: AuditRecord) -> None:
        if not self.enabled:
            return
        now = self._clock()
        body = self._body(record, now)
        async with self._lock:
            await asyncio.to_thread(self._spool_append, {"entry_id": uuid.uuid4().hex, "body": body})
            await self._flush(now)

    async def flush(self) -> int:
        """Move what waits in the spool into the chain; the number of records moved."""
        async with self._lock:
            return await self._flush(self._clock())

    def pending(self) -> int:
        """Records waiting in the spool."""
        try:
            return sum(1 for line in self._spool.read_text(encoding="utf-8").splitlines() if line.strip())
        except FileNotFoundError:
            return 0

    def _locked(self) -> int:
        fd = os.open(self.settings.directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def _spool_append(self, entry: dict[str, Any]) -> None:
        fd = self._locked()
        try:
            out = os.open(self._spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(out, (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
                os.fsync(out)
            finally:
                os.close(out)
        finally:
            os.close(fd)

    def _spool_entries(self) -> list[dict[str, Any]]:
        try:
            lines = self._spool.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                entries.append(dict(json.loads(line)))
            except (json.JSONDecodeError, TypeError, ValueError):
                if line.strip():  # a torn last line after a crash: never a committed record
                    log.error("unreadable line in the audit spool %s skipped", self._spool)
        return entries

    async def _flush(self, now: datetime) -> int:
        fd = await asyncio.to_thread(self._locked)
        try:
            entries = await asyncio.to_thread(self._spool_entries)
            if not entries:
                return 0
            try:
                await self._db.run(lambda conn: self._insert(conn, entries, now))
            except Exception as error:  # noqa: BLE001 - the records stay in the spool for the next try
                log.warning(
                    "audit database unavailable (%s): %d record(s) wait in %s", error, len(entries), self._spool
                )
                return 0
            await asyncio.to_thread(self._spool.write_bytes, b"")
            return len(entries)
        finally:
            os.close(fd)  # closing releases the flock

    async def _insert(self, conn: Any, entries: list[dict[str, Any]], now: datetime) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", AUDIT_LOCK)
            head = await conn.fetchval("SELECT record FROM audit_records ORDER BY seq DESC LIMIT 1")
            last = json.loads(head) if head is not None else None
            if self._pruned_pg != now.date():
                last = await self._prune_rows(conn, now, last)
            for entry in entries:
                if await conn.fetchval("SELECT 1 FROM audit_records WHERE entry_id = $1", entry["entry_id"]):
                    continue  # moved before, and the spool was not emptied (a crash in between)
                last = await self._insert_row(conn, entry["entry_id"], entry["body"], last)
        self._pruned_pg = now.date()

    async def _insert_row(
        self, conn: Any, entry_id: str, body: dict[str, Any], last: dict[str, Any] | None
    ) -> dict[str, Any]:
        record = self.chained(body, last)
        await conn.execute(
            "INSERT INTO audit_records (seq, entry_id, time, record) VALUES ($1, $2, $3, $4)",
            record["seq"],
            entry_id,
            datetime.fromisoformat(record["time"]),
            json.dumps(record, ensure_ascii=False, separators=(",", ":")),
        )
        return record

    async def _prune_rows(self, conn: Any, now: datetime, last: dict[str, Any] | None) -> dict[str, Any] | None:
        cutoff = datetime.combine(now.date() - timedelta(days=self.settings.retention_days), datetime.min.time(), UTC)
        # By seq, not by time: a record that waited in the spool has an older time than the one
        # before it in the chain, and the chain must lose a prefix, never a record in between.
        removed = await conn.fetch(
            "DELETE FROM audit_records WHERE seq <= (SELECT max(seq) FROM audit_records WHERE time < $1)"
            " RETURNING seq, record",
            cutoff,
        )
        if not removed:
            return last
        newest = json.loads(max(removed, key=lambda r: r["seq"])["record"])
        body = {
            "type": "retention",
            "time": now.isoformat(timespec="milliseconds"),
            "removed_records": len(removed),
            "removed_through_seq": newest["seq"],
            "removed_last_mac": newest["mac"],
        }
        return await self._insert_row(conn, uuid.uuid4().hex, body, last)


async def verify_postgres_trail(db: Database, key: bytes) -> VerifyResult:
    """Check the chain in ``audit_records``, in ``seq`` order, like :func:`audit.verify_trail`."""

    async def read(conn: Any) -> list[tuple[int, str]]:
        return [(r["seq"], r["record"]) for r in await conn.fetch("SELECT seq, record FROM audit_records ORDER BY seq")]

    rows = await db.run(read)
    return verify_lines(((f"audit_records seq {seq}", line) for seq, line in rows), key)
