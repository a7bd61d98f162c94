"""Index snapshots on disk: the contract between ``sync`` (writer) and ``serve`` (reader).

Layout under ``DATA_DIR/index``::

    snapshots/<id>/chunks.jsonl   one JSON object per chunk (text, document, headings, ACL)
    snapshots/<id>/vectors.npy    float32 (n, dim), row i belongs to line i
    snapshots/<id>/meta.json      embedder name, counts, creation time
    CURRENT                       the id of the snapshot to serve

A snapshot directory is written under a temporary name and renamed into place, then ``CURRENT``
is replaced with ``os.replace``; a reader therefore sees the old or the new snapshot, never half
of one. Old snapshots are pruned, keeping a few for readers that are still loading.
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

from retrieval.index import HybridIndex
from retrieval.types import Chunk, DocumentRef

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 3


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


class SnapshotStore:
    """Reads and writes snapshots under one index directory."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.snapshots_dir = self.index_dir / "snapshots"
        self.current_file = self.index_dir / "CURRENT"

    def current_id(self) -> str | None:
        try:
            value = self.current_file.read_text().strip()
        except FileNotFoundError:
            return None
        return value or None

    def write(self, chunks: Iterable[Chunk], vectors: np.ndarray, embedder_name: str) -> str:
        """Write a complete snapshot, make it current, prune old ones. Returns its id."""
        chunk_list = list(chunks)
        if len(chunk_list) != len(vectors):
            raise ValueError("chunks and vectors differ in length")
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        # Sortable and strictly increasing within a process, so pruning keeps the newest.
        snapshot_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{uuid.uuid4().hex[:6]}"
        tmp = self.snapshots_dir / f".tmp-{snapshot_id}"
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk in chunk_list:
                fh.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with open(tmp / "vectors.npy", "wb") as fh:
            np.save(fh, np.asarray(vectors, dtype=np.float32))
            fh.flush()
            os.fsync(fh.fileno())
        meta = {
            "id": snapshot_id,
            "embedder": embedder_name,
            "chunks": len(chunk_list),
            "documents": len({(c.doc.drive_id, c.doc.item_id) for c in chunk_list}),
            "created": time.time(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        _fsync_dir(tmp)
        final = self.snapshots_dir / snapshot_id
        os.replace(tmp, final)
        _fsync_dir(self.snapshots_dir)
        pointer = self.index_dir / f".CURRENT.{snapshot_id}"
        pointer.write_text(snapshot_id + "\n")
        os.replace(pointer, self.current_file)
        _fsync_dir(self.index_dir)
        self._prune(keep=snapshot_id)
        return snapshot_id

    def _prune(self, keep: str) -> None:
        names = sorted(p.name for p in self.snapshots_dir.iterdir() if not p.name.startswith("."))
        for name in names[:-KEEP_SNAPSHOTS]:
            if name != keep:
                shutil.rmtree(self.snapshots_dir / name, ignore_errors=True)

    def load(self, snapshot_id: str | None = None) -> tuple[list[Chunk], np.ndarray, dict[str, Any]]:
        """Chunks, vectors and meta of a snapshot (the current one by default)."""
        snapshot_id = snapshot_id or self.current_id()
        if snapshot_id is None:
            raise FileNotFoundError(f"no index snapshot in {self.index_dir}; run `python app.py sync`")
        folder = self.snapshots_dir / snapshot_id
        meta = json.loads((folder / "meta.json").read_text())
        with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [_chunk_from_json(json.loads(line)) for line in fh if line.strip()]
        vectors = np.load(folder / "vectors.npy")
        return chunks, vectors, meta

    def load_index(self, snapshot_id: str | None = None) -> tuple[str, HybridIndex]:
        snapshot_id = snapshot_id or self.current_id()
        chunks, vectors, meta = self.load(snapshot_id)
        return meta["id"], HybridIndex(chunks, vectors, meta["embedder"])


class LiveIndex:
    """The index the server answers from; swaps in a new snapshot when ``CURRENT`` changes."""

    def __init__(self, store: SnapshotStore, embedder_name: str) -> None:
        self._store = store
        self._embedder_name = embedder_name
        self._lock = threading.Lock()
        self._snapshot_id: str | None = None
        self._index: HybridIndex | None = None

    @property
    def snapshot_id(self) -> str | None:
        return self._snapshot_id

    @property
    def index(self) -> HybridIndex | None:
        return self._index

    def refresh(self) -> bool:
        """Load the current snapshot if it changed. Returns True when a new one was loaded."""
        wanted = self._store.current_id()
        if wanted is None or wanted == self._snapshot_id:
            return False
        with self._lock:
            if wanted == self._snapshot_id:
                return False
            snapshot_id, index = self._store.load_index(wanted)
            if index.embedder_name != self._embedder_name:
                raise RuntimeError(
                    f"snapshot {snapshot_id} was embedded with {index.embedder_name}, "
                    f"but this server embeds queries with {self._embedder_name}; run sync again"
                )
            self._index, self._snapshot_id = index, snapshot_id
            log.info("serving index snapshot %s (%d chunks)", snapshot_id, len(index))
            return True
