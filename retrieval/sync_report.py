"""What one sync did: counts, skipped documents with reasons, time per phase, and its table
(``python app.py sync --status``)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger("retrieval.ingest")  # skipped documents are logged as the ingestor's

TIMING_PHASES = ("download", "extraction", "embedding", "indexing")
MAX_SKIPPED_ITEMS = 200


@dataclass
class SyncReport:
    """What one sync did; printed, and kept as ``DATA_DIR/sync/last_report.json``.

    ``timings_s["download"]`` is the time spent waiting for the source (Graph listing, permissions
    and content downloads, which overlap each other); the other phases are measured here.
    """

    mode: str = "sync"
    started: float = field(default_factory=time.time)
    finished: float = 0.0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    permission_only: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_permission_items: int = 0
    drives_reset: int = 0
    documents_in_index: int = 0
    chunks_in_index: int = 0
    snapshot_id: str | None = None
    error: str | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    skipped_items: list[dict[str, str]] = field(default_factory=list)
    """The first ``MAX_SKIPPED_ITEMS`` skipped documents: name, reason, detail."""

    def skip(self, reason: str, name: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        if len(self.skipped_items) < MAX_SKIPPED_ITEMS:
            self.skipped_items.append({"name": name, "reason": reason, "detail": detail[:200]})
        log.warning("skipped %s (%s): %s", name, reason, detail)

    def add_time(self, phase: str, seconds: float) -> None:
        self.timings_s[phase] = self.timings_s.get(phase, 0.0) + seconds

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.finished or time.time()) - self.started)

    @property
    def documents_processed(self) -> int:
        """Documents looked at: indexed, re-stamped, confirmed unchanged, deleted or skipped."""
        return (
            self.added
            + self.updated
            + self.permission_only
            + self.unchanged
            + self.deleted
            + sum(self.skipped.values())
        )

    @property
    def documents_per_second(self) -> float:
        return self.documents_processed / self.duration_s if self.duration_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = dict(self.skipped)
        data["timings_s"] = {k: round(v, 3) for k, v in self.timings_s.items()}
        data["duration_s"] = round(self.duration_s, 3)
        data["documents_processed"] = self.documents_processed
        data["documents_per_second"] = round(self.documents_per_second, 2)
        return data

    def summary(self) -> str:
        return format_report(self.as_dict())


def format_report(data: dict[str, Any]) -> str:
    """A sync report (``SyncReport.as_dict``, or the JSON kept on disk) as a readable table."""
    skipped = dict(data.get("skipped") or {})
    timings = dict(data.get("timings_s") or {})
    finished = data.get("finished") or 0
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(finished)) if finished else "not finished"
    status = f"FAILED: {data['error']}" if data.get("error") else "ok"
    rows: list[tuple[str, str]] = [
        ("added", str(data.get("added", 0))),
        ("updated", str(data.get("updated", 0))),
        ("deleted", str(data.get("deleted", 0))),
        ("permission-only updates", str(data.get("permission_only", 0))),
        ("unchanged", str(data.get("unchanged", 0))),
        ("skipped", str(sum(skipped.values()))),
        *((f"  {reason}", str(count)) for reason, count in sorted(skipped.items())),
        ("unknown permission shapes", f"{data.get('unknown_permission_items', 0)} items (readable by nobody)"),
        ("drives fully resynced", str(data.get("drives_reset", 0))),
        ("in the index", f"{data.get('documents_in_index', 0)} documents, {data.get('chunks_in_index', 0)} chunks"),
        ("duration", f"{data.get('duration_s', 0):.1f} s"),
        ("documents per second", f"{data.get('documents_per_second', 0):.1f}"),
        *((f"time in {phase}", f"{timings.get(phase, 0):.1f} s") for phase in TIMING_PHASES),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{data.get('mode', 'sync')} finished {when}: {status}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)
