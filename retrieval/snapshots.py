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
process killed at any point, sees the old or the new generation, never half of one. Segments are
immutable, so replicas can share the directory read-only (docs/scaling.md).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.dense import DEFAULT_PLAN, DensePlan
from retrieval.index import HybridIndex, Segment
from retrieval.types import Chunk, DocumentRef

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 3
"""Generations kept (with their segments) for readers that are still loading an older one."""
MERGE_SEGMENTS = 8
"""``needs_merge`` once a generation has more segments than this, or a quarter of its rows dead."""

DocKey = tuple[str, str]


def _chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc": asdict(chunk.doc),
        "position": chunk.position,
        "headings": list(chunk.headings),
        "text": chunk.text,
        "acl": sorted(chunk.acl),
    }


def _chunk_from_json(data: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=data["chunk_id"],
        doc=DocumentRef(**data["doc"]),
        position=int(data["position"]),
        headings=tuple(data["headings"]),
        text=data["text"],
        acl=frozenset(data["acl"]),
    )


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
        with self._commit:
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
        with self._commit:
            base = self.generation()
            segments = [{"id": s["id"], "dead": sorted({tuple(k) for k in s["dead"]} | dead)} for s in base["segments"]]
            if segment_id is not None:
                segments.append({"id": segment_id, "dead": []})
            return self._commit_generation(embedder_name, segments)

    def _write_segment_files(self, chunks: list[Chunk], vectors: np.ndarray, embedder_name: str) -> str:
        self.segments_dir.mkdir(parents=True, exist_ok=True)
        segment_id = _new_id()
        tmp = self.segments_dir / f".tmp-{os.getpid()}-{segment_id}"
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with open(tmp / "vectors.npy", "wb") as fh:
            np.save(fh, np.asarray(vectors, dtype=np.float32))
            fh.flush()
            os.fsync(fh.fileno())
        meta = {
            "id": segment_id,
            "embedder": embedder_name,
            "chunks": len(chunks),
            "documents": len({_doc_key(c) for c in chunks}),
            "created": time.time(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        _fsync_dir(tmp)
        os.replace(tmp, self.segments_dir / segment_id)
        _fsync_dir(self.segments_dir)
        return segment_id

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
        kept: set[str] = set()
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

    def load_segment(self, segment_id: str) -> tuple[list[Chunk], np.ndarray]:
        """Chunks and (memory-mapped, read-only) vectors of one segment."""
        folder = self.segments_dir / segment_id
        with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [_chunk_from_json(json.loads(line)) for line in fh if line.strip()]
        try:
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        except ValueError:  # an empty array cannot be memory-mapped
            vectors = np.load(folder / "vectors.npy")
        return chunks, vectors

    def load(self, snapshot_id: str | None = None) -> tuple[list[Chunk], np.ndarray, dict[str, Any]]:
        """The live chunks and their vectors of a generation (the current one by default), as one
        list and one array, with the generation's meta."""
        record = self.generation(snapshot_id)
        chunks: list[Chunk] = []
        parts: list[np.ndarray] = []
        for entry in record["segments"]:
            dead = {tuple(k) for k in entry["dead"]}
            seg_chunks, seg_vectors = self.load_segment(entry["id"])
            keep = [i for i, c in enumerate(seg_chunks) if _doc_key(c) not in dead]
            chunks.extend(seg_chunks[i] for i in keep)
            if keep:
                parts.append(np.asarray(seg_vectors[np.asarray(keep)], dtype=np.float32))
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
        chunks, vectors, _ = self.load(base["id"])
        segment_id = self._write_segment_files(chunks, vectors, base["embedder"])
        with self._commit:
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
        log.info("merged %d segments into %s (%d chunks)", len(ids), segment_id, len(chunks))
        return generation_id


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


class LiveIndex:
    """The index the server answers from. When ``CURRENT`` changes it loads only the segments it
    does not hold yet; the others (and their ANN indexes) are reused as they are."""

    def __init__(
        self, store: SnapshotStore, embedder_name: str, plan: DensePlan = DEFAULT_PLAN, device: str = "cpu"
    ) -> None:
        self._store = store
        self._embedder_name = embedder_name
        self._plan = plan
        self._device = device
        self._lock = threading.Lock()
        self._snapshot_id: str | None = None
        self._index: HybridIndex | None = None
        self._segments: dict[str, Segment] = {}

    @property
    def snapshot_id(self) -> str | None:
        return self._snapshot_id

    @property
    def index(self) -> HybridIndex | None:
        return self._index

    @property
    def loaded_segments(self) -> frozenset[str]:
        return frozenset(self._segments)

    def refresh(self) -> bool:
        """Load the current generation if it changed. Returns True when a new one was loaded."""
        wanted = self._store.current_id()
        if wanted is None or wanted == self._snapshot_id:
            return False
        with self._lock:
            if wanted == self._snapshot_id:
                return False
            record = self._store.generation(wanted)
            if record["embedder"] != self._embedder_name:
                raise RuntimeError(
                    f"snapshot {wanted} was embedded with {record['embedder']}, "
                    f"but this server embeds queries with {self._embedder_name}; run sync again"
                )
            segments: dict[str, Segment] = {}
            parts = []
            for entry in record["segments"]:
                segment = self._segments.get(entry["id"])
                if segment is None:
                    chunks, vectors = self._store.load_segment(entry["id"])
                    segment = Segment(chunks, vectors, plan=self._plan, device=self._device, segment_id=entry["id"])
                segments[entry["id"]] = segment
                parts.append((segment, segment.alive_mask(tuple(k) for k in entry["dead"])))
            index = HybridIndex.from_segments(parts, record["embedder"])
            self._index, self._snapshot_id, self._segments = index, wanted, segments
            log.info("serving index generation %s (%d chunks, %d segments)", wanted, len(index), len(parts))
            return True
