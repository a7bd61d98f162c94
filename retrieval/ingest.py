"""The ingestion pipeline: source changes → extract → chunk → embed → segment.

The working set starts from the current generation, changes are applied per document, and at
each ``Checkpoint`` the changed documents are written as a new segment (with tombstones for their
old rows) *before* the drive's cursor is saved. A sync killed at any point therefore resumes from
the last saved cursor and re-applies changes idempotently (an upsert replaces all chunks of its
document).

Embedding is batched across documents and overlaps the download and extraction of the next ones:
an embedding worker (one call at a time, in a thread) starts when ``EMBED_MIN_BATCH`` chunks wait
and keeps taking whatever was buffered meanwhile until the buffer is empty. When the buffer holds
``EMBED_BATCH`` chunks while the worker is busy, the loop waits until the worker takes it. At most
one batch is embedding and one is filling, which bounds the memory held by documents in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import replace
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
from retrieval.sync_state import SyncState
from retrieval.types import Chunk, name_stem

log = logging.getLogger(__name__)

DocKey = tuple[str, str]
EMBED_BATCH = 256
"""Most chunks embedded in one call (across documents); the loop waits when one more is full."""
EMBED_MIN_BATCH = 32
"""While the embedder is idle, a call starts as soon as this many chunks wait (the embedder's own
batch size), so it does not sit idle while the first full batch is downloaded."""


class WorkingSet(dict[DocKey, tuple[list[Chunk], np.ndarray]]):
    """The documents of the index being built, remembering which were changed since the last write."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.touched: set[DocKey] = set()

    def __setitem__(self, key: DocKey, value: tuple[list[Chunk], np.ndarray]) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: DocKey) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def pop(self, key: DocKey, *default: Any) -> Any:  # type: ignore[override]
        if key in self:
            self.touched.add(key)
        return super().pop(key, *default)


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
        self._pending: list[tuple[DocKey, list[Chunk]]] = []
        self._pending_keys: set[DocKey] = set()
        self._embedding: asyncio.Task[None] | None = None
        """The embedding worker while it runs (``_embed_pending``)."""
        self._taken: asyncio.Event | None = None
        """While the loop waits for the worker to take the buffer: set when it does."""
        self._merging: asyncio.Task[Any] | None = None

    def _load_working_set(self) -> WorkingSet:
        if self._store.current_id() is None:
            return WorkingSet()
        chunks, vectors, meta = self._store.load()
        if meta.get("embedder") != self._embedder.name:
            log.warning(
                "embedder changed (%s -> %s): re-indexing everything", meta.get("embedder"), self._embedder.name
            )
            self._state.save_cursors({})
            self._state.save_seen({})
            return WorkingSet()
        docs: dict[DocKey, tuple[list[Chunk], list[np.ndarray]]] = {}
        for chunk, vector in zip(chunks, vectors, strict=True):
            entry = docs.setdefault((chunk.doc.drive_id, chunk.doc.item_id), ([], []))
            entry[0].append(chunk)
            entry[1].append(vector)
        return WorkingSet({k: (c, np.stack(v)) for k, (c, v) in docs.items()})

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
            await self._settle_merge()
        except Exception as exc:
            report.error = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            await self._abandon_pending()
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
            if isinstance(change, (Upsert, Failure, Delete)):
                drive_id = change.doc.drive_id if isinstance(change, Upsert) else change.drive_id
                item_id = change.doc.item_id if isinstance(change, Upsert) else change.item_id
                if drive_id in seen and not isinstance(change, Delete):
                    seen[drive_id].add(item_id)
                if (drive_id, item_id) in self._pending_keys:
                    await self._flush_embeddings(working, report, wait=True)
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
                await self._flush_embeddings(working, report, wait=True)
                dirty |= bool(working.touched)
                if dirty or self._store.current_id() is None:
                    report.snapshot_id = self._write_snapshot(working, report)
                    dirty = False
                # snapshot first, then what was seen, then the cursor that relies on both
                self._state.save_seen(seen)
                self._state.save_cursors(cursors)
                last_saved = time.monotonic()
        await self._flush_embeddings(working, report, wait=True)
        if dirty or working.touched:
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

    def _write_snapshot(self, working: WorkingSet, report: SyncReport) -> str:
        """Write the documents changed since the last write as a new segment (the whole working
        set when there is no generation yet), then start a background merge if one is due."""
        started = time.perf_counter()
        keys = sorted(k for k in working.touched if k in working)
        chunks = [c for key in keys for c in working[key][0]]
        parts = [working[key][1] for key in keys if len(working[key][0])]
        vectors = np.concatenate(parts) if parts else np.zeros((0, self._embedder.dim), np.float32)
        if self._store.current_id() is None:
            everything = sorted(working)
            chunks = [c for key in everything for c in working[key][0]]
            parts = [working[key][1] for key in everything if len(working[key][0])]
            vectors = np.concatenate(parts) if parts else np.zeros((0, self._embedder.dim), np.float32)
            snapshot_id = self._store.write(chunks, vectors, self._embedder.name)
        else:
            snapshot_id = self._store.write_segment(chunks, vectors, self._embedder.name, removed=working.touched)
        working.touched.clear()
        report.add_time("indexing", time.perf_counter() - started)
        if self._merging is None and self._store.needs_merge():
            self._merging = asyncio.ensure_future(asyncio.to_thread(self._store.merge))
        return snapshot_id

    async def _settle_merge(self) -> None:
        if self._merging is not None:
            merging, self._merging = self._merging, None
            merged = await merging
            if merged:
                log.info("merged segments into generation %s", merged)

    async def _flush_embeddings(self, working: WorkingSet, report: SyncReport, wait: bool) -> None:
        """Make sure the buffered chunks are being embedded; with ``wait``, return only when
        everything buffered is in ``working``."""
        if self._embedding is not None and self._embedding.done():
            finished, self._embedding = self._embedding, None
            finished.result()  # a failed embedding fails the sync here
        if self._pending and self._embedding is None:
            self._embedding = asyncio.ensure_future(self._embed_pending(working, report))
        if wait and self._embedding is not None:
            running, self._embedding = self._embedding, None
            await running

    async def _embed_pending(self, working: WorkingSet, report: SyncReport) -> None:
        """The embedding worker: takes what is buffered, embeds it, and goes on with what was
        buffered meanwhile, until the buffer is empty. It does not wait for the loop to come back
        for the next batch: while the source downloads a whole delta page at once, the chunks
        buffered from the previous page are embedded."""
        while self._pending:
            batch, self._pending = self._pending, []
            if self._taken is not None:
                self._taken.set()
            await self._embed_batch(batch, working, report)

    async def _wait_until_taken(self) -> None:
        """Back-pressure: a full buffer waits until the worker takes it (or stops)."""
        worker = self._embedding
        if worker is None:
            return
        self._taken = asyncio.Event()
        taken = asyncio.ensure_future(self._taken.wait())
        try:
            await asyncio.wait({worker, taken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            taken.cancel()
            self._taken = None

    async def _embed_batch(
        self, batch: list[tuple[DocKey, list[Chunk]]], working: WorkingSet, report: SyncReport
    ) -> None:
        started = time.perf_counter()
        texts = [c.indexed_text for _, chunks in batch for c in chunks]
        vectors = await asyncio.to_thread(self._embedder.embed_passages, texts)
        report.add_time("embedding", time.perf_counter() - started)
        offset = 0
        for key, chunks in batch:
            working[key] = (chunks, vectors[offset : offset + len(chunks)])
            offset += len(chunks)
            self._pending_keys.discard(key)

    async def _abandon_pending(self) -> None:
        """After a failure: nothing buffered may be written later (the cursor was not saved)."""
        self._pending, self._pending_keys = [], set()
        for task in (self._embedding, self._merging):
            if task is not None:
                try:
                    await task
                except Exception:  # noqa: BLE001 - the run's own error is what is reported
                    log.exception("background index work failed")
        self._embedding = self._merging = None

    async def _apply_upsert(self, change: Upsert, working: WorkingSet, report: SyncReport) -> bool:
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
        if existing is None:
            report.added += 1
        else:
            report.updated += 1
        if not chunks:
            working[key] = (chunks, np.zeros((0, self._embedder.dim), np.float32))
            return True
        self._pending.append((key, chunks))
        self._pending_keys.add(key)
        waiting = sum(len(c) for _, c in self._pending)
        idle = self._embedding is None or self._embedding.done()
        if idle and waiting >= EMBED_MIN_BATCH:
            await self._flush_embeddings(working, report, wait=False)
        elif waiting >= EMBED_BATCH:
            await self._wait_until_taken()
        return True
