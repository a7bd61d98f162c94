"""The ingestion pipeline: source changes → extract → chunk → embed → snapshot.

The working set starts from the current snapshot, changes are applied per document, and at each
``Checkpoint`` a new snapshot is written *before* the drive's cursor is saved. A sync killed at
any point therefore resumes from the last saved cursor and re-applies changes idempotently (an
upsert replaces all chunks of its document).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.chunking import chunk_document
from retrieval.embedding import Embedder
from retrieval.extract import ExtractionError, ExtractorRegistry
from retrieval.snapshots import SnapshotStore
from retrieval.source import (
    Checkpoint,
    CursorReset,
    Delete,
    DocumentSource,
    Failure,
    ItemGone,
    ItemPermissions,
    Upsert,
)
from retrieval.sync_report import SyncReport
from retrieval.types import Chunk, name_stem

log = logging.getLogger(__name__)

DocKey = tuple[str, str]
WorkingSet = dict[DocKey, tuple[list[Chunk], np.ndarray]]


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


class Ingestor:
    """Applies a source's changes to the index, writing snapshots at checkpoints."""

    def __init__(
        self,
        store: SnapshotStore,
        state: SyncState,
        embedder: Embedder,
        extractors: ExtractorRegistry,
        max_document_bytes: int,
        checkpoint_interval_s: float = 60.0,
    ) -> None:
        self._checkpoint_interval_s = checkpoint_interval_s
        self._store = store
        self._state = state
        self._embedder = embedder
        self._extractors = extractors
        self._max_bytes = max_document_bytes

    def _load_working_set(self) -> dict[DocKey, tuple[list[Chunk], np.ndarray]]:
        if self._store.current_id() is None:
            return {}
        chunks, vectors, meta = self._store.load()
        if meta.get("embedder") != self._embedder.name:
            log.warning(
                "embedder changed (%s -> %s): re-indexing everything", meta.get("embedder"), self._embedder.name
            )
            self._state.save_cursors({})
            self._state.save_seen({})
            return {}
        docs: dict[DocKey, tuple[list[Chunk], list[np.ndarray]]] = {}
        for chunk, vector in zip(chunks, vectors, strict=True):
            entry = docs.setdefault((chunk.doc.drive_id, chunk.doc.item_id), ([], []))
            entry[0].append(chunk)
            entry[1].append(vector)
        return {k: (c, np.stack(v)) for k, (c, v) in docs.items()}

    async def run(self, source: DocumentSource) -> SyncReport:
        """One sync: apply the source's changes, snapshot at each checkpoint, keep the report."""
        report = SyncReport()
        working = self._load_working_set()
        await self._reported(self._apply_changes(source, working, report), report, working)
        return report

    async def _reported(self, work: Awaitable[None], report: SyncReport, working: WorkingSet) -> None:
        """Run ``work``; the report is kept either way, with the error when it failed."""
        try:
            await work
        except Exception as exc:
            report.error = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            report.documents_in_index = len(working)
            report.chunks_in_index = sum(len(c) for c, _ in working.values())
            report.finished = time.time()
            self._state.save_report(report)

    async def _apply_changes(self, source: DocumentSource, working: WorkingSet, report: SyncReport) -> None:
        cursors = self._state.load_cursors()
        # Drives being enumerated in full: what they yield is recorded; at their final checkpoint
        # documents not seen are gone. Saved with partial checkpoints, so a restart keeps counting.
        seen = self._state.load_seen()
        dirty = False
        last_saved = time.monotonic()
        known_tags = {key: chunks[0].doc.content_tag for key, (chunks, _) in working.items()}
        changes = aiter(source.changes(cursors, known_tags))
        while True:
            started = time.perf_counter()
            try:
                change = await anext(changes)
            except StopAsyncIteration:
                break
            finally:
                report.add_time("download", time.perf_counter() - started)
            if isinstance(change, (Upsert, Failure)):
                drive_id = change.doc.drive_id if isinstance(change, Upsert) else change.drive_id
                item_id = change.doc.item_id if isinstance(change, Upsert) else change.item_id
                if drive_id in seen:
                    seen[drive_id].add(item_id)
            if isinstance(change, Upsert):
                dirty |= await self._apply_upsert(change, working, report)
            elif isinstance(change, Delete):
                if working.pop((change.drive_id, change.item_id), None) is not None:
                    report.deleted += 1
                    dirty = True
            elif isinstance(change, Failure):
                report.skip(change.reason, change.name, change.detail)
                if working.pop((change.drive_id, change.item_id), None) is not None:
                    dirty = True
            elif isinstance(change, CursorReset):
                report.drives_reset += 0 if change.full_listing else 1
                seen[change.drive_id] = set()
                if cursors.pop(change.drive_id, None) is not None:
                    self._state.save_cursors(cursors)
            elif isinstance(change, Checkpoint):
                if change.partial and time.monotonic() - last_saved < self._checkpoint_interval_s:
                    continue
                if not change.partial and change.drive_id in seen:
                    gone = [k for k in working if k[0] == change.drive_id and k[1] not in seen[change.drive_id]]
                    for key in gone:
                        del working[key]
                    report.deleted += len(gone)
                    dirty |= bool(gone)
                    del seen[change.drive_id]
                cursors[change.drive_id] = change.cursor
                if dirty or self._store.current_id() is None:
                    report.snapshot_id = self._write_snapshot(working, report)
                    dirty = False
                # snapshot first, then what was seen, then the cursor that relies on both
                self._state.save_seen(seen)
                self._state.save_cursors(cursors)
                last_saved = time.monotonic()
        if dirty:
            report.snapshot_id = self._write_snapshot(working, report)

    async def refresh_permissions(self, source: DocumentSource, concurrency: int = 8) -> SyncReport:
        """Re-read the permissions of every indexed document and re-stamp changed ACLs.

        Content is not downloaded, extracted or embedded; cursors are left alone. A document the
        source no longer has (``ItemGone``) is removed; one whose permissions cannot be read now
        keeps its ACL and is counted as ``permissions_unreadable``.
        """
        report = SyncReport(mode="permissions")
        working = self._load_working_set()
        await self._reported(self._restamp(source, working, report, concurrency), report, working)
        return report

    async def _restamp(self, source: DocumentSource, working: WorkingSet, report: SyncReport, concurrency: int) -> None:
        semaphore = asyncio.Semaphore(concurrency)

        async def lookup(key: DocKey) -> tuple[DocKey, ItemPermissions | None, Exception | None]:
            async with semaphore:
                try:
                    return key, await source.item_acl(*key), None
                except Exception as exc:  # noqa: BLE001 - recorded per document below
                    return key, None, exc

        started = time.perf_counter()
        results = await asyncio.gather(*(lookup(key) for key in list(working)))
        report.add_time("download", time.perf_counter() - started)
        dirty = False
        for key, mapping, exc in results:
            if mapping is None:
                if isinstance(exc, ItemGone):
                    working.pop(key, None)
                    report.deleted += 1
                    dirty = True
                else:
                    report.skip("permissions_unreadable", "/".join(key), str(exc))
                continue
            if mapping.unknown:
                report.unknown_permission_items += 1
            chunks, vectors = working[key]
            if chunks and chunks[0].acl == mapping.acl:
                report.unchanged += 1
                continue
            working[key] = ([replace(c, acl=mapping.acl) for c in chunks], vectors)
            report.permission_only += 1
            dirty = True
        if dirty:
            report.snapshot_id = self._write_snapshot(working, report)

    def _write_snapshot(self, working: dict[DocKey, tuple[list[Chunk], np.ndarray]], report: SyncReport) -> str:
        started = time.perf_counter()
        chunks = [c for key in sorted(working) for c in working[key][0]]
        parts = [working[key][1] for key in sorted(working) if len(working[key][0])]
        vectors = np.concatenate(parts) if parts else np.zeros((0, self._embedder.dim), np.float32)
        snapshot_id = self._store.write(chunks, vectors, self._embedder.name)
        report.add_time("indexing", time.perf_counter() - started)
        return snapshot_id

    async def _apply_upsert(
        self, change: Upsert, working: dict[DocKey, tuple[list[Chunk], np.ndarray]], report: SyncReport
    ) -> bool:
        key = (change.doc.drive_id, change.doc.item_id)
        if change.unknown_permissions:
            report.unknown_permission_items += 1
        existing = working.get(key)
        if change.content is None:
            if existing is None:
                report.skip("missing_content", change.doc.name)
                return False
            chunks, vectors = existing
            doc = change.doc
            if chunks and chunks[0].doc.title != name_stem(chunks[0].doc.name):
                doc = replace(doc, title=chunks[0].doc.title)  # the title extracted from the content
            if chunks and chunks[0].acl == change.acl and chunks[0].doc == doc:
                report.unchanged += 1
                return False
            working[key] = ([replace(c, acl=change.acl, doc=doc) for c in chunks], vectors)
            report.permission_only += 1
            return True
        if len(change.content) > self._max_bytes:
            report.skip("too_large", change.doc.name, f"{len(change.content)} bytes")
            return working.pop(key, None) is not None
        started = time.perf_counter()
        try:
            extracted = await asyncio.to_thread(
                self._extractors.extract,
                change.content,
                change.doc.name or change.doc.title,
                change.media_type,
                "",
            )
        except ExtractionError as exc:
            report.skip(exc.reason, change.doc.name, exc.detail)
            return working.pop(key, None) is not None
        finally:
            report.add_time("extraction", time.perf_counter() - started)
        doc = change.doc
        if extracted.title and (not doc.title or doc.title == name_stem(doc.name)):
            doc = replace(doc, title=extracted.title)
        chunks = chunk_document(doc, extracted, change.acl)
        started = time.perf_counter()
        vectors = await asyncio.to_thread(self._embedder.embed_passages, [c.indexed_text for c in chunks])
        report.add_time("embedding", time.perf_counter() - started)
        if existing is None:
            report.added += 1
        else:
            report.updated += 1
        working[key] = (chunks, vectors)
        return True
