"""An append-only, HMAC-chained JSON Lines audit trail with retention.

Each record carries ``seq`` (1, 2, 3, … across all files), ``prev`` (the previous record's
``mac``) and ``mac`` = HMAC-SHA256(key, prev ‖ canonical JSON of the record without ``mac``).
Files are per UTC day (``audit-YYYY-MM-DD.jsonl``). Retention deletes whole old files and then
appends a ``retention`` record naming the last removed ``seq`` and ``mac``, so that the first
remaining record still verifies and a removal without that record is detected.

Writers serialise through an ``fcntl`` lock on ``.lock`` and read the chain head from the newest
file, so several processes (the server and ``app.py ask``) can append to one trail.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

AuditLevel = Literal["none", "metadata", "full"]
QuestionMode = Literal["none", "hash", "text"]

GENESIS = "0" * 64
_FILE_PREFIX = "audit-"


@dataclass(frozen=True)
class AuditSettings:
    """What is stored and for how long. ``key`` is the HMAC key (pseudonyms and chain)."""

    directory: Path
    level: AuditLevel = "metadata"
    question: QuestionMode = "hash"
    retention_days: int = 365
    key: bytes | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One answer as the audit trail sees it (before pseudonymisation and the setting's cuts)."""

    asker_id: str
    room: str
    question: str
    outcome: str
    cited: list[dict[str, str]]
    withheld: list[dict[str, str]]
    model: str
    latency_s: float
    language: str = ""
    answer: str = ""
    conversation_id: str = ""
    answer_id: str = ""
    grounding: str = ""
    """The grounding check's verdict (``passed``, ``ungrounded:extractive``, …); written only when set,
    so records without it keep their old shape and chain."""
    extra: dict[str, Any] = field(default_factory=dict)


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _mac(key: bytes, prev: str, body: dict[str, Any]) -> str:
    return hmac.new(key, prev.encode() + _canonical(body), hashlib.sha256).hexdigest()


def load_or_create_key(directory: Path) -> bytes:
    """The key from ``directory/.key``, created (0600) on first use. Production sets ``AUDIT_KEY``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """A stable, keyed pseudonym: the same person always maps to the same value, and only the
    key holder can check which person it is (``python app.py audit pseudonym USER``)."""
    if not value:
        return ""
    return hmac.new(key, f"{kind}:{value.lower()}".encode(), hashlib.sha256).hexdigest()[:32]


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{_FILE_PREFIX}*.jsonl"))


def _file_day(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.stem.removeprefix(_FILE_PREFIX))
    except ValueError:
        return None


def _last_record(directory: Path) -> dict[str, Any] | None:
    """The chain head: the last record of the newest non-empty file (records are far below 1 MiB)."""
    for path in reversed(_files(directory)):
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - (1 << 20)))
            lines = [line for line in handle.read().splitlines() if line.strip()]
        if lines:
            return dict(json.loads(lines[-1]))
    return None


class AuditTrail:
    """Appends records; one instance per process, safe across processes."""

    def __init__(self, settings: AuditSettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self._clock = clock
        self._key = settings.key or load_or_create_key(settings.directory)
        self._lock = asyncio.Lock()
        self._pruned_on: date | None = None
        settings.directory.mkdir(parents=True, exist_ok=True)

    @property
    def enabled(self) -> bool:
        return self.settings.level != "none"

    def pseudonym(self, kind: str, value: str) -> str:
        return pseudonym(self._key, kind, value)

    def _body(self, record: AuditRecord, now: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "answer",
            "answer_id": record.answer_id,
            "time": now.isoformat(timespec="milliseconds"),
            "asker": self.pseudonym("user", record.asker_id),
            "room": record.room,
            "conversation": self.pseudonym("conversation", record.conversation_id),
            "outcome": record.outcome,
            "language": record.language,
            "cited": record.cited,
            "withheld": record.withheld,
            "model": record.model,
            "latency_ms": round(record.latency_s * 1000),
            "question_chars": len(record.question),
        }
        if self.settings.question == "text":
            body["question"] = record.question
        elif self.settings.question == "hash":
            body["question_hmac"] = self.pseudonym("question", record.question)
        if record.grounding:
            body["grounding"] = record.grounding
        if self.settings.level == "full":
            body["answer"] = record.answer
        body.update(record.extra)
        return body

    async def record(self, record: AuditRecord) -> None:
        """Append one answer record (nothing when the level is ``none``)."""
        if not self.enabled:
            return
        now = self._clock()
        body = self._body(record, now)
        async with self._lock:
            await asyncio.to_thread(self._append, body, now)

    def _append(self, body: dict[str, Any], now: datetime) -> None:
        directory = self.settings.directory
        with (directory / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._pruned_on != now.date():
                self._prune(now)
            self._write(body, now, _last_record(directory))

    def chained(self, body: dict[str, Any], last: dict[str, Any] | None) -> dict[str, Any]:
        """``body`` as the record after ``last`` (the chain head): with ``seq``, ``prev`` and ``mac``."""
        body = {"seq": (last["seq"] + 1) if last else 1, **body, "prev": last["mac"] if last else GENESIS}
        body["mac"] = _mac(self._key, body["prev"], {k: v for k, v in body.items() if k != "mac"})
        return body

    def _write(self, body: dict[str, Any], now: datetime, last: dict[str, Any] | None) -> dict[str, Any]:
        body = self.chained(body, last)
        path = self.settings.directory / f"{_FILE_PREFIX}{now.date().isoformat()}.jsonl"
        line = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return body

    def _prune(self, now: datetime) -> None:
        """Delete day files older than the retention; log the removal in the chain."""
        self._pruned_on = now.date()
        cutoff = now.date() - timedelta(days=self.settings.retention_days)
        old = [p for p in _files(self.settings.directory) if (day := _file_day(p)) is not None and day < cutoff]
        if not old:
            return
        head = _last_record(self.settings.directory)
        last_removed: dict[str, Any] | None = None
        for record in _read(old[-1]):
            last_removed = record
        for path in old:
            path.unlink()
        self._write(
            {
                "type": "retention",
                "time": now.isoformat(timespec="milliseconds"),
                "removed_files": [p.name for p in old],
                "removed_through_seq": last_removed["seq"] if last_removed else 0,
                "removed_last_mac": last_removed["mac"] if last_removed else GENESIS,
            },
            now,
            head,
        )


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield dict(json.loads(line))


@dataclass
class VerifyResult:
    records: int = 0
    files: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_trail(directory: Path, key: bytes | None = None) -> VerifyResult:
    """Check every record's MAC and the chain (order, gaps, removals covered by retention)."""
    key = key or load_or_create_key(directory)
    result = VerifyResult()

    def lines() -> Iterator[tuple[str, str]]:
        for path in _files(directory):
            result.files += 1
            try:
                text = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                result.problems.append(f"{path.name}: unreadable ({type(exc).__name__})")
                yield "", ""  # a break in the chain
                continue
            for number, line in enumerate(text, 1):
                yield f"{path.name}:{number}", line

    return verify_lines(lines(), key, result)


def verify_lines(lines: Iterable[tuple[str, str]], key: bytes, result: VerifyResult | None = None) -> VerifyResult:
    """Check a chain given as (where, JSON line) in chain order; where ``""`` marks a break
    (unreadable storage) after which the chain is not checked against what came before."""
    result = result or VerifyResult()
    expected_prev: str | None = None
    expected_seq: int | None = None
    first: tuple[str, dict[str, Any]] | None = None
    retention: list[dict[str, Any]] = []
    for where, line in lines:
        if not where:
            expected_prev = expected_seq = None
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            mac, prev, seq = record["mac"], record["prev"], record["seq"]
        except (json.JSONDecodeError, KeyError, TypeError):
            result.problems.append(f"{where}: not an audit record")
            expected_prev = expected_seq = None
            continue
        result.records += 1
        body = {k: v for k, v in record.items() if k != "mac"}
        if not hmac.compare_digest(_mac(key, str(prev), body), str(mac)):
            result.problems.append(f"{where}: record {seq} was altered (MAC mismatch)")
        if first is None:
            first = (where, record)
        elif expected_seq is not None and seq != expected_seq:
            result.problems.append(f"{where}: record {seq} follows record {expected_seq - 1} (removed or reordered)")
        elif expected_prev is not None and prev != expected_prev:
            result.problems.append(f"{where}: record {seq} does not chain to the record before it")
        if record.get("type") == "retention":
            retention.append(record)
        expected_prev, expected_seq = str(mac), int(seq) + 1
        result.head = str(mac)
    if first is not None:
        where, record = first
        if record["seq"] != 1 or record["prev"] != GENESIS:
            covered = any(
                r.get("removed_through_seq") == record["seq"] - 1 and r.get("removed_last_mac") == record["prev"]
                for r in retention
            )
            if not covered:
                result.problems.append(f"{where}: records before {record['seq']} are missing (no retention record)")
    return result
