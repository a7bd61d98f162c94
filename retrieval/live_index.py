"""The index the server answers from: the current generation of a ``SnapshotStore``, reloaded
segment by segment when ``CURRENT`` changes."""

from __future__ import annotations

import logging
import threading

from retrieval.dense import DEFAULT_PLAN, DensePlan
from retrieval.index import HybridIndex, Segment
from retrieval.snapshots import SnapshotStore

log = logging.getLogger(__name__)


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
