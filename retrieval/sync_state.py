"""Where a sync stands between runs: per-drive cursors, full enumerations under way, the last report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from retrieval.sync_report import SyncReport


class SyncState:
    """Per-drive cursors, saved atomically in ``DATA_DIR/sync``."""

    def __init__(self, sync_dir: Path) -> None:
        self.sync_dir = Path(sync_dir)
        self.cursor_file = self.sync_dir / "cursors.json"
        self.seen_file = self.sync_dir / "full_rounds.json"
        self.report_file = self.sync_dir / "last_report.json"

    def load_seen(self) -> dict[str, set[str]]:
        """Drives in a full enumeration saved halfway: the item ids seen so far."""
        try:
            return {drive: set(items) for drive, items in json.loads(self.seen_file.read_text()).items()}
        except FileNotFoundError:
            return {}

    def save_seen(self, seen: dict[str, set[str]]) -> None:
        self._write(self.seen_file, {drive: sorted(items) for drive, items in seen.items()})

    def load_cursors(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.cursor_file.read_text()))
        except FileNotFoundError:
            return {}

    def _write(self, path: Path, data: Any) -> None:
        self.sync_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def save_cursors(self, cursors: dict[str, str]) -> None:
        self._write(self.cursor_file, cursors)

    def save_report(self, report: SyncReport) -> None:
        self._write(self.report_file, report.as_dict())

    def load_report(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.report_file.read_text()))
        except FileNotFoundError:
            return None
