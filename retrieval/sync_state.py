"""Where a sync stands between runs: per-drive cursors, full enumerations under way, the last report."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from retrieval.sync_report import SyncReport


class SyncRunning(RuntimeError):
    """Another process is syncing into the same ``DATA_DIR``."""


class SyncState:
    """Per-drive cursors, saved atomically in ``DATA_DIR/sync``."""

    def __init__(self, sync_dir: Path) -> None:
        self.sync_dir = Path(sync_dir)
        self.cursor_file = self.sync_dir / "cursors.json"
        self.seen_file = self.sync_dir / "full_rounds.json"
        self.report_file = self.sync_dir / "last_report.json"
        self.lock_file = self.sync_dir / "sync.lock"

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held for a whole sync: a second sync into the same ``DATA_DIR`` (a manual one while
        ``sync --watch`` runs) fails at once with ``SyncRunning`` instead of writing cursors and
        index segments alongside. The lock is the kernel's (``flock``), so it goes with the process,
        however that ends."""
        self.sync_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise SyncRunning(f"another sync is running into {self.sync_dir.parent} (pid {holder})") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

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
