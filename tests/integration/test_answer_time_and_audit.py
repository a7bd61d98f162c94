"""Revocations count from the moment they are made, and every answer leaves an audit record.

Permissions are changed in the dev tenant through its admin API *without* a sync: the index still
says the asker may read the document, only the answer-time check knows better."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Running, admin

TRAVEL_ITEM = "01OLY7JVNQXHEH5MUNUZ64NVBNKQ3O2DPO"  # Reisekostenrichtlinie.pdf, readable by all staff
QUESTION = "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?"


@pytest.fixture
def travel_policy_restricted(running: Running) -> Any:
    admin(running, "PATCH", f"items/{TRAVEL_ITEM}", {"readers": ["user:clara.weber@contoso.dev"]})
    time.sleep(1.5)  # past PERMISSION_CHECK_TTL_S of the test app
    try:
        yield
    finally:
        admin(running, "PATCH", f"items/{TRAVEL_ITEM}", {"readers": ["group:Alle Mitarbeitenden"]})
        time.sleep(1.5)


def test_revoked_document_is_not_used_before_the_next_sync(running: Running, travel_policy_restricted: Any) -> None:
    before_sync = running.cli("search", "--user", "anna.schmidt@contoso.dev", "--json", "-k", "3", QUESTION)
    hits = json.loads(before_sync.stdout)["hits"]
    assert any(h["item_id"] == TRAVEL_ITEM for h in hits), "the index still lists the document for Anna"

    answer = running.ask("anna.schmidt@contoso.dev", QUESTION)
    assert all(c["item_id"] != TRAVEL_ITEM for c in answer["citations"]), answer
    assert "150" not in answer["answer"] and "120" not in answer["answer"] or answer["citations"]

    still_allowed = running.ask("clara.weber@contoso.dev", QUESTION)
    assert any(c["item_id"] == TRAVEL_ITEM for c in still_allowed["citations"]), "Clara may still read it"


def test_graph_down_at_answer_time_fails_closed(running: Running) -> None:
    running.ask("ben.carter@contoso.dev", "How do I reset my password?")  # Ben's groups are now cached
    time.sleep(1.5)
    admin(running, "POST", "down")
    try:
        answer = running.ask("ben.carter@contoso.dev", "How do I reset my password?")
    finally:
        admin(running, "POST", "up")
    assert answer["outcome"] == "permission_check_down"
    assert answer["citations"] == []


def _records(running: Running) -> list[dict[str, Any]]:
    directory = Path(running.env["DATA_DIR"]) / "audit"
    return [json.loads(line) for f in sorted(directory.glob("audit-*.jsonl")) for line in f.read_text().splitlines()]


def test_every_answer_is_audited_and_the_trail_verifies(running: Running, users: dict[str, Any]) -> None:
    question = "Wie viele Urlaubstage habe ich im Jahr?"
    answer = running.ask("clara.weber@contoso.dev", question)
    record = _records(running)[-1]
    assert record["type"] == "answer" and record["room"] == "web" and record["outcome"] == answer["outcome"]
    assert [c["item_id"] for c in record["cited"]] == [c["item_id"] for c in answer["citations"]]
    assert record["model"] == answer["model"] and record["latency_ms"] > 0
    clara = users["clara.weber@contoso.dev"]["id"]
    raw = json.dumps(record, ensure_ascii=False)
    assert clara not in raw and "Urlaubstage" not in raw, "pseudonymised asker, hashed question by default"
    pseudonym = running.cli("audit", "pseudonym", clara)
    assert pseudonym.stdout.strip() == record["asker"], "the key holder can re-identify"

    verified = running.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert "audit trail intact" in verified.stdout


def test_audit_verify_detects_an_edited_copy(running: Running, tmp_path: Path) -> None:
    running.ask("dana.mueller@contoso.dev", "Where is the canteen?")
    source = Path(running.env["DATA_DIR"]) / "audit"
    copy = tmp_path / "audit"
    shutil.copytree(source, copy)
    day = sorted(copy.glob("audit-*.jsonl"))[-1]
    rows = day.read_text().splitlines()
    edited = json.loads(rows[-1])
    edited["outcome"] = "no_match" if edited["outcome"] != "no_match" else "answered"
    day.write_text("\n".join([*rows[:-1], json.dumps(edited)]) + "\n")
    result = running.cli("audit", "verify", env={"AUDIT_DIR": str(copy)})
    assert result.returncode == 1 and "altered" in result.stdout
