"""The audit trail: what is stored per setting, and that tampering is detected."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit import AuditRecord, AuditSettings, AuditTrail, RedactingFilter, verify_trail
from audit.redaction import redact

KEY = bytes(range(32))
DAY = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def record(n: int = 0, question: str = "Wie viele Urlaubstage habe ich?") -> AuditRecord:
    return AuditRecord(
        asker_id="8D89D7D8-3CE0-494A-B29A-B5CB674E4020",
        room="groupChat",
        question=question,
        outcome="answered",
        cited=[{"drive_id": "d", "item_id": f"item-{n}"}],
        withheld=[{"drive_id": "d", "item_id": "secret", "reason": "room"}],
        model="gemma",
        latency_s=1.234,
        language="de",
        answer="30 Tage [1]",
        conversation_id="19:abc@thread.v2",
    )


class Clock:
    def __init__(self, now: datetime = DAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def trail(tmp_path: Path, clock: Clock | None = None, **settings: Any) -> AuditTrail:
    return AuditTrail(AuditSettings(directory=tmp_path, key=KEY, **settings), clock=clock or Clock())


def write(t: AuditTrail, count: int, **kwargs: Any) -> None:
    async def go() -> None:
        for n in range(count):
            await t.record(record(n, **kwargs))

    asyncio.run(go())


def lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted(tmp_path.glob("audit-*.jsonl")) for line in f.read_text().splitlines()]


def test_metadata_record_pseudonymises_and_hashes_the_question(tmp_path: Path) -> None:
    write(trail(tmp_path), 1)
    (entry,) = lines(tmp_path)
    raw = json.dumps(entry)
    assert "8d89d7d8" not in raw.lower() and "Urlaubstage" not in raw and "30 Tage" not in raw
    assert entry["asker"] and len(entry["asker"]) == 32
    assert entry["question_hmac"] and entry["question_chars"] == len("Wie viele Urlaubstage habe ich?")
    assert entry["cited"] == [{"drive_id": "d", "item_id": "item-0"}]
    assert entry["withheld"][0]["reason"] == "room"
    assert entry["room"] == "groupChat" and entry["model"] == "gemma" and entry["latency_ms"] == 1234
    assert entry["seq"] == 1 and entry["prev"] == "0" * 64


def test_same_person_same_pseudonym_other_person_other(tmp_path: Path) -> None:
    t = trail(tmp_path)
    assert t.pseudonym("user", "ABC") == t.pseudonym("user", "abc") != t.pseudonym("user", "abd")
    other_key = AuditTrail(AuditSettings(directory=tmp_path / "o", key=bytes(32)))
    assert other_key.pseudonym("user", "abc") != t.pseudonym("user", "abc"), "pseudonyms depend on the key"


@pytest.mark.parametrize(
    ("question_mode", "level", "present", "absent"),
    [
        ("text", "metadata", ["question"], ["question_hmac", "answer"]),
        ("none", "metadata", [], ["question", "question_hmac", "answer"]),
        ("hash", "full", ["question_hmac", "answer"], ["question"]),
    ],
)
def test_settings_choose_what_is_stored(
    tmp_path: Path, question_mode: str, level: str, present: list[str], absent: list[str]
) -> None:
    write(trail(tmp_path, question=question_mode, level=level), 1)
    (entry,) = lines(tmp_path)
    for name in present:
        assert name in entry
    for name in absent:
        assert name not in entry


def test_level_none_writes_nothing(tmp_path: Path) -> None:
    write(trail(tmp_path, level="none"), 3)
    assert lines(tmp_path) == []


def test_intact_trail_verifies(tmp_path: Path) -> None:
    write(trail(tmp_path), 5)
    result = verify_trail(tmp_path, KEY)
    assert result.ok, result.problems
    assert result.records == 5 and result.head == lines(tmp_path)[-1]["mac"]


def _rewrite(tmp_path: Path, change: Any) -> None:
    (path,) = sorted(tmp_path.glob("audit-*.jsonl"))
    rows = path.read_text().splitlines()
    path.write_text("\n".join(change(rows)) + "\n")


def _edit(rows: list[str]) -> list[str]:
    entry = json.loads(rows[2])
    entry["cited"] = []
    return [*rows[:2], json.dumps(entry), *rows[3:]]


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("edited", _edit, "altered"),
        ("removed", lambda rows: rows[:2] + rows[3:], "removed or reordered"),
        ("reordered", lambda rows: [rows[0], rows[2], rows[1], *rows[3:]], "removed or reordered"),
        ("first removed", lambda rows: rows[1:], "missing"),
        ("garbage", lambda rows: [*rows, "not json"], "not an audit record"),
    ],
)
def test_tampering_is_detected(tmp_path: Path, name: str, change: Any, expected: str) -> None:
    write(trail(tmp_path), 5)
    _rewrite(tmp_path, change)
    result = verify_trail(tmp_path, KEY)
    assert not result.ok, name
    assert any(expected in p for p in result.problems), result.problems


def test_recomputing_hashes_without_the_key_is_detected(tmp_path: Path) -> None:
    write(trail(tmp_path), 3)
    forged = AuditTrail(AuditSettings(directory=tmp_path / "forged", key=bytes(32)), clock=Clock())
    write(forged, 3)
    (path,) = sorted(tmp_path.glob("audit-*.jsonl"))
    path.write_text((tmp_path / "forged" / path.name).read_text())
    assert not verify_trail(tmp_path, KEY).ok


def test_retention_removes_old_days_and_the_chain_still_verifies(tmp_path: Path) -> None:
    clock = Clock()
    t = trail(tmp_path, clock, retention_days=30)
    write(t, 2)
    clock.now = DAY + timedelta(days=10)
    write(t, 2)
    clock.now = DAY + timedelta(days=35)
    t2 = trail(tmp_path, clock, retention_days=30)  # a new process prunes on its first write
    write(t2, 1)
    names = sorted(p.name for p in tmp_path.glob("audit-*.jsonl"))
    assert names == ["audit-2026-11-11.jsonl", "audit-2026-12-06.jsonl"]
    entries = lines(tmp_path)
    retention = [e for e in entries if e["type"] == "retention"]
    assert retention and retention[0]["removed_files"] == ["audit-2026-11-01.jsonl"]
    assert retention[0]["removed_through_seq"] == 2
    result = verify_trail(tmp_path, KEY)
    assert result.ok, result.problems
    # Deleting a day file by hand, without a retention record, is detected.
    (tmp_path / "audit-2026-11-11.jsonl").unlink()
    assert not verify_trail(tmp_path, KEY).ok


def test_two_writers_share_one_chain(tmp_path: Path) -> None:
    a, b = trail(tmp_path), trail(tmp_path)

    async def go() -> None:
        for n in range(4):
            await (a if n % 2 else b).record(record(n))

    asyncio.run(go())
    assert [e["seq"] for e in lines(tmp_path)] == [1, 2, 3, 4]
    assert verify_trail(tmp_path, KEY).ok


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def.ghijklmnop", "abc.def.ghijklmnop"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here", "eyJhbGciOiJSUzI1NiJ9"),
        ("POST body client_secret=s3cr3t-value&grant_type=x", "s3cr3t-value"),
        ('{"access_token": "opaque-token-value"}', "opaque-token-value"),
    ],
)
def test_redaction(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_redacting_filter_rewrites_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling with %s", "Bearer sekret-token-12345")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert "sekret-token-12345" not in caplog.text and "[redacted]" in caplog.text


def test_grounding_verdict_is_recorded_and_old_records_still_verify(tmp_path: Path) -> None:
    t = trail(tmp_path)
    write(t, 2)  # records without a verdict keep their old shape
    asyncio.run(t.record(dataclasses.replace(record(3), grounding="ungrounded:extractive")))
    stored = lines(tmp_path)
    assert "grounding" not in stored[0] and stored[-1]["grounding"] == "ungrounded:extractive"
    assert verify_trail(tmp_path, KEY).ok
