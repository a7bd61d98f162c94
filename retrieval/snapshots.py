"""Index generations on disk: the contract between ``sync`` (writer) and ``serve`` (reader).

Layout under ``DATA_DIR/index``::

    segments/<id>/chunks.jsonl   one JSON object per chunk (text, document, headings, ACL)
    segments/<id>/vectors.npy    float32 (n, dim), row i belongs to line i (memory-mapped on load)
    segments/<id>/meta.json      embedder name, counts
    generations/<id>.json        the segments of one generation, oldest first, each with its
                                 tombstones: the documents (drive id, item id) replaced or deleted
                                 by a later segment
    CURRENT                      the id of the generation to serve

A full sync writes one segment; an incremental one writes a small segment with the changed
documents plus tombstones for their old rows, never the whole corpus again. ``merge`` rewrites the
live rows of all segments as one (in a background thread of the sync; a segment appended meanwhile
is kept after the merged one). Every segment and generation file is written under a temporary name,
fsynced and renamed into place, then ``CURRENT`` is replaced with ``os.replace``: a reader, or a
process killed at any point, sees the old or the new generation, never half of one. A segment that
no kept generation lists is pruned, except one this store has renamed into place and not committed
yet (the sync's, while the background merge commits, and the other way round). One process writes
at a time: ``sync`` holds ``SyncState.exclusive``. Segments are immutable, so replicas can share
the directory read-only (docs/scaling.md).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.chunk_table import ChunkTable, chunk_line, write_chunk_lines
from retrieval.index import HybridIndex
from retrieval.types import Chunk

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 3
"""Generations kept (with their segments) for readers that are still loading an older one."""
MERGE_SEGMENTS = 8
"""``needs_merge`` once a generation has more segments than this, or a quarter of its rows dead."""

DocKey = tuple[str, str]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_last_ns = [0]


def _new_id() -> str:
    # Sortable and strictly increasing within a process, so pruning keeps the newest.
    ns = _last_ns[0] = max(time.time_ns(), _last_ns[0] + 1)
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{ns:020d}-{uuid.uuid4().hex[:6]}"


def _doc_key(chunk: Chunk) -> DocKey:
    return (chunk.doc.drive_id, chunk.doc.item_id)


class SnapshotStore:
    """Reads and writes generations of segments under one index directory."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.segments_dir = self.index_dir / "segments"
        self.generations_dir = self.index_dir / "generations"
        self.current_file = self.index_dir / "CURRENT"
        self._commit = threading.Lock()
        self._unpublished: set[str] = set()
        """Segments renamed into place by this store and not yet in a committed generation: the
        sync's next segment while the background merge commits, or the merge's while the sync
        does. ``_prune`` must not take them for leftovers."""
        self._unpublished_lock = threading.Lock()

    def current_id(self) -> str | None:
        try:
            value = self.current_file.read_text().strip()
        except FileNotFoundError:
            return None
        return value or None

    def generation(self, generation_id: str | None = None) -> dict[str, Any]:
        """The generation record (the current one by default)."""
        generation_id = generation_id or self.current_id()
        if generation_id is None:
            raise FileNotFoundError(f"no index snapshot in {self.index_dir}; run `python app.py sync`")
        return dict(json.loads((self.generations_dir / f"{generation_id}.json").read_text()))

    # --- writing ---------------------------------------------------------------------------

    def write(self, chunks: Iterable[Chunk], vectors: np.ndarray, embedder_name: str) -> str:
        """Write a complete generation of one segment, make it current. Returns its id."""
        chunk_list = list(chunks)
        if len(chunk_list) != len(vectors):
            raise ValueError("chunks and vectors differ in length")
        segment_id = self._write_segment_files(chunk_list, vectors, embedder_name)
        with self._commit, self._publishing(segment_id):
            return self._commit_generation(embedder_name, [{"id": segment_id, "dead": []}])

    def write_segment(
        self, chunks: Iterable[Chunk], vectors: np.ndarray, embedder_name: str, removed: Iterable[DocKey]
    ) -> str:
        """Append a segment with ``chunks`` and tombstone ``removed`` documents (replaced or deleted)
        in the earlier segments. Falls back to ``write`` when there is no current generation or it
        was embedded with another embedder."""
        chunk_list = list(chunks)
        if len(chunk_list) != len(vectors):
            raise ValueError("chunks and vectors differ in length")
        current = self.current_id()
        if current is None or self.generation(current).get("embedder") != embedder_name:
            return self.write(chunk_list, vectors, embedder_name)
        dead = {tuple(k) for k in removed} | {_doc_key(c) for c in chunk_list}
        segment_id = self._write_segment_files(chunk_list, vectors, embedder_name) if chunk_list else None
        with self._commit, self._publishing(segment_id):
            base = self.generation()
            segments = [{"id": s["id"], "dead": sorted({tuple(k) for k in s["dead"]} | dead)} for s in base["segments"]]
            if segment_id is not None:
                segments.append({"id": segment_id, "dead": []})
            return self._commit_generation(embedder_name, segments)

    def _write_segment_files(self, chunks: list[Chunk], vectors: np.ndarray, embedder_name: str) -> str:
        def write(folder: Path) -> tuple[int, int]:
            write_chunk_lines(folder / "chunks.jsonl", (chunk_line(c) for c in chunks))
            _save_durably(folder / "vectors.npy", np.asarray(vectors, dtype=np.float32))
            return len(chunks), len({_doc_key(c) for c in chunks})

        return self._new_segment(write, embedder_name)

    def _new_segment(self, write: Callable[[Path], tuple[int, int]], embedder_name: str) -> str:
        """A segment folder filled by ``write`` (which returns its chunk and document counts) under
        a temporary name, fsynced and renamed into place."""
        self.segments_dir.mkdir(parents=True, exist_ok=True)
        segment_id = _new_id()
        tmp = self.segments_dir / f".tmp-{os.getpid()}-{segment_id}"
        tmp.mkdir()
        try:
            chunks, documents = write(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        meta = {
            "id": segment_id,
            "embedder": embedder_name,
            "chunks": chunks,
            "documents": documents,
            "created": time.time(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        _fsync_dir(tmp)
        with self._unpublished_lock:  # before the rename: a concurrent prune must never see it unowned
            self._unpublished.add(segment_id)
        try:
            os.replace(tmp, self.segments_dir / segment_id)
            _fsync_dir(self.segments_dir)
        except BaseException:
            self._published(segment_id)
            raise
        return segment_id

    @contextmanager
    def _publishing(self, segment_id: str | None) -> Iterator[None]:
        """Around the commit of a generation that lists ``segment_id``: afterwards the segment is
        kept (or pruned) by the generations that list it, like any other."""
        try:
            yield
        finally:
            self._published(segment_id)

    def _published(self, segment_id: str | None) -> None:
        with self._unpublished_lock:
            self._unpublished.discard(segment_id or "")

    def _write_live_rows(self, record: dict[str, Any]) -> Callable[[Path], tuple[int, int]]:
        """A writer of the live rows of ``record``'s segments into one segment, streaming: lines
        are copied as they are and vectors a block at a time, so a merge of millions of chunks
        needs memory for the row numbers, not for the chunks."""

        def write(folder: Path) -> tuple[int, int]:
            parts: list[tuple[ChunkTable, np.ndarray, np.ndarray]] = []
            documents: set[DocKey] = set()
            for table, vectors, live in self._live_rows(record):
                documents.update(_doc_key(chunk) for _, chunk in live)
                parts.append((table, vectors, np.asarray([row for row, _ in live], dtype=np.int64)))
            total = sum(int(rows.size) for _, _, rows in parts)
            dim = next((int(v.shape[1]) for _, v, _ in parts if v.ndim == 2 and v.shape[0]), 0)
            lines = (table.line(int(r)).rstrip(b"\n") + b"\n" for table, _, rows in parts for r in rows)
            write_chunk_lines(folder / "chunks.jsonl", lines)
            _write_rows(folder / "vectors.npy", [(v, rows) for _, v, rows in parts], total, dim)
            return total, len(documents)

        return write

    def _commit_generation(self, embedder_name: str, segments: list[dict[str, Any]]) -> str:
        """Write a generation record and point ``CURRENT`` at it (caller holds ``_commit``)."""
        self.generations_dir.mkdir(parents=True, exist_ok=True)
        generation_id = _new_id()
        record = {
            "id": generation_id,
            "embedder": embedder_name,
            "segments": [{"id": s["id"], "dead": [list(k) for k in s["dead"]]} for s in segments],
            "created": time.time(),
        }
        tmp = self.generations_dir / f".tmp-{os.getpid()}-{generation_id}.json"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.generations_dir / f"{generation_id}.json")
        _fsync_dir(self.generations_dir)
        pointer = self.index_dir / f".CURRENT.{os.getpid()}.{generation_id}"
        pointer.write_text(generation_id + "\n")
        os.replace(pointer, self.current_file)
        _fsync_dir(self.index_dir)
        self._prune()
        return generation_id

    def _prune(self) -> None:
        """Keep the newest generations and their segments; drop leftovers of killed writers."""
        names = sorted(p.stem for p in self.generations_dir.iterdir() if not p.name.startswith("."))
        for name in names[:-KEEP_SNAPSHOTS]:
            (self.generations_dir / f"{name}.json").unlink(missing_ok=True)
        with self._unpublished_lock:
            kept = set(self._unpublished)
        for name in names[-KEEP_SNAPSHOTS:]:
            kept.update(s["id"] for s in self.generation(name)["segments"])
        mine = f".tmp-{os.getpid()}-"
        for folder in (self.segments_dir, self.generations_dir, self.index_dir):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                leftover = path.name.startswith((".tmp-", ".CURRENT.")) and not path.name.startswith(mine)
                stale_segment = folder == self.segments_dir and not path.name.startswith(".") and path.name not in kept
                if (leftover and _is_orphan(path.name)) or stale_segment:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)

    # --- reading ---------------------------------------------------------------------------

    def load_segment(self, segment_id: str) -> tuple[ChunkTable, np.ndarray]:
        """Chunks and vectors of one segment, both memory-mapped and read-only."""
        folder = self.segments_dir / segment_id
        chunks = ChunkTable.open(folder / "chunks.jsonl")
        try:
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        except ValueError:  # an empty array cannot be memory-mapped
            vectors = np.load(folder / "vectors.npy")
        return chunks, vectors

    def _live_rows(self, record: dict[str, Any]) -> Iterator[tuple[ChunkTable, np.ndarray, list[tuple[int, Chunk]]]]:
        """Per segment of a generation record: its chunks, its vectors and its live (row, chunk)
        pairs, those whose document no later segment replaced or deleted."""
        for entry in record["segments"]:
            dead = {tuple(k) for k in entry["dead"]}
            table, vectors = self.load_segment(entry["id"])
            yield table, vectors, [(row, chunk) for row, chunk in enumerate(table) if _doc_key(chunk) not in dead]

    def load(self, snapshot_id: str | None = None) -> tuple[list[Chunk], np.ndarray, dict[str, Any]]:
        """The live chunks and their vectors of a generation (the current one by default), as one
        list and one array, with the generation's meta."""
        record = self.generation(snapshot_id)
        chunks: list[Chunk] = []
        parts: list[np.ndarray] = []
        for _, seg_vectors, live in self._live_rows(record):
            chunks.extend(chunk for _, chunk in live)
            if live:
                parts.append(np.asarray(seg_vectors[np.asarray([row for row, _ in live])], dtype=np.float32))
        dim = parts[0].shape[1] if parts else 0
        vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
        meta = {
            "id": record["id"],
            "embedder": record["embedder"],
            "chunks": len(chunks),
            "documents": len({_doc_key(c) for c in chunks}),
            "segments": len(record["segments"]),
            "created": record["created"],
        }
        return chunks, vectors, meta

    def load_index(self, snapshot_id: str | None = None) -> tuple[str, HybridIndex]:
        snapshot_id = snapshot_id or self.current_id()
        chunks, vectors, meta = self.load(snapshot_id)
        return meta["id"], HybridIndex(chunks, vectors, meta["embedder"])

    # --- merging ---------------------------------------------------------------------------

    def needs_merge(self) -> bool:
        if self.current_id() is None:
            return False
        record = self.generation()
        segments = record["segments"]
        dead = sum(len(s["dead"]) for s in segments)
        return len(segments) > MERGE_SEGMENTS or (len(segments) > 1 and dead > 0 and self._dead_share(record) > 0.25)

    def _dead_share(self, record: dict[str, Any]) -> float:
        total = dead_rows = 0
        for entry in record["segments"]:
            meta = json.loads((self.segments_dir / entry["id"] / "meta.json").read_text())
            total += int(meta["chunks"])
            dead_rows += min(int(meta["chunks"]), len(entry["dead"]))  # documents: a lower bound of rows
        return dead_rows / max(1, total)

    def merge(self) -> str | None:
        """Rewrite the live rows of the current generation's segments as one segment. Segments
        appended while it ran are kept after it. Returns the new generation id, or None when
        there was nothing to merge or another merge won."""
        base = self.generation() if self.current_id() else None
        if base is None or len(base["segments"]) < 2 and not base["segments"][0]["dead"]:
            return None
        segment_id = self._new_segment(self._write_live_rows(base), base["embedder"])
        with self._commit, self._publishing(segment_id):
            current = self.generation()
            ids = [s["id"] for s in base["segments"]]
            if [s["id"] for s in current["segments"][: len(ids)]] != ids:
                shutil.rmtree(self.segments_dir / segment_id, ignore_errors=True)
                return None
            later_dead: set[tuple[str, ...]] = set()
            for old, now in zip(base["segments"], current["segments"], strict=False):
                later_dead |= {tuple(k) for k in now["dead"]} - {tuple(k) for k in old["dead"]}
            segments = [{"id": segment_id, "dead": sorted(later_dead)}, *current["segments"][len(ids) :]]
            generation_id = self._commit_generation(base["embedder"], segments)
        log.info("merged %d segments into %s", len(ids), segment_id)
        return generation_id


def _save_durably(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, array)
        fh.flush()
        os.fsync(fh.fileno())


def _write_rows(path: Path, parts: list[tuple[np.ndarray, np.ndarray]], total: int, dim: int) -> None:
    """Write the given rows of each (vectors, rows) pair, in order, as one float32 ``.npy``."""
    if total == 0:
        _save_durably(path, np.zeros((0, dim), dtype=np.float32))
        return
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(total, dim))
    at = 0
    for vectors, rows in parts:
        for start in range(0, rows.size, 65_536):
            block = rows[start : start + 65_536]
            out[at : at + block.size] = vectors[block]
            at += block.size
    out.flush()
    del out
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _is_orphan(name: str) -> bool:
    """A temporary name's writer (its pid is in the name) is no longer running."""
    try:
        pid = int(name.split(".")[2]) if name.startswith(".CURRENT.") else int(name.split("-")[1])
    except (IndexError, ValueError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
