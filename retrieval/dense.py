"""Dense search over the permitted rows of one segment, planned per query.

- **Exact** when the permitted rows are few (``DensePlan.exact_max_rows``): their float32 vectors
  are scored directly, nothing else is touched.
- **ANN** otherwise: an inverted-file index over 8-bit scalar-quantised vectors (FAISS
  ``IndexIVFScalarQuantizer``, 1 byte per dimension) searched with the permitted rows as a bitmap
  ``IDSelector`` *inside* the scan, so a non-permitted row is never scored and never takes a place
  in the result. The number of probed lists grows as the permitted share shrinks (a permitted
  neighbour is farther away in a sparse set); the candidates are re-ranked with the exact float32
  vectors, which stay on disk (memory-mapped) and are read only for those candidates.
- If a probe returns fewer candidates than wanted while the permitted set holds more, the probe
  is widened until it does, up to every list (which is exhaustive): an ANN search never returns
  fewer than ``k`` permitted hits when ``k`` exist.

On ``device="cuda"`` (see ``retrieval.gpu``) the permitted rows are scored exactly on the GPU
instead, whatever their number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np


@dataclass(frozen=True)
class DensePlan:
    """How a segment is indexed and searched (the defaults are tuned with bench/filtered_search.py)."""

    exact_max_rows: int = 1024
    """Permitted rows up to this many are scored exactly from the float32 vectors."""
    ann_min_rows: int = 20_000
    """Segments smaller than this have no ANN index; every search over them is exact."""
    list_size: int = 384
    """Average rows per inverted list (the number of lists is rows / list_size)."""
    probes: int = 32
    """Lists probed when everything is permitted; divided by selectivity ** probe_exponent (a
    sparse permitted set needs a wider probe: at 1 % or less it is exhaustive)."""
    probe_exponent: float = 1.0
    rerank: int = 3
    """Candidates re-ranked exactly per wanted hit."""
    train_rows: int = 100_000
    """Rows sampled to train the coarse quantiser and the scalar quantiser."""
    add_batch: int = 65_536


DEFAULT_PLAN = DensePlan()


class DenseSegment:
    """The dense side of one segment. ``vectors`` may be a read-only memory map."""

    def __init__(self, vectors: np.ndarray, plan: DensePlan | None = None, device: str = "cpu") -> None:
        self.vectors = vectors
        self.size = int(vectors.shape[0]) if vectors.ndim == 2 else 0
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self.plan = plan = plan or DensePlan()
        self._ivf: Any = None
        self.nlist = 0
        self._gpu: Any = None
        self.device = device
        if device == "cuda" and self.size:
            from retrieval.gpu import TorchExactScorer

            self._gpu = TorchExactScorer(vectors)
        elif self.size >= plan.ann_min_rows:
            self._build_ivf()

    @property
    def has_ann(self) -> bool:
        return self._ivf is not None

    def _build_ivf(self) -> None:
        plan = self.plan
        self.nlist = max(1, self.size // plan.list_size)
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFScalarQuantizer(
            quantizer, self.dim, self.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        ivf.by_residual = False  # one shared code book: scanning a list needs no per-list tables
        rng = np.random.default_rng(0)
        sample_rows = np.sort(rng.choice(self.size, size=min(self.size, plan.train_rows), replace=False))
        ivf.train(np.ascontiguousarray(self.vectors[sample_rows], dtype=np.float32))
        for start in range(0, self.size, plan.add_batch):
            stop = min(self.size, start + plan.add_batch)
            batch = np.ascontiguousarray(self.vectors[start:stop], dtype=np.float32)
            ivf.add_with_ids(batch, np.arange(start, stop, dtype=np.int64))
        self._ivf = ivf

    def memory_bytes(self) -> int:
        """Bytes held in memory by the search structures (not the memory-mapped float32 vectors)."""
        if self._gpu is not None:
            return 0
        if self._ivf is None:
            return 0 if isinstance(self.vectors, np.memmap) else int(self.vectors.nbytes)
        code_size = int(self._ivf.code_size)
        return self.size * (code_size + 8) + self.nlist * self.dim * 4

    def exact_scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Exact cosine similarity of ``rows`` (sorted) with ``query``."""
        if rows.size == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.vectors[rows], dtype=np.float32) @ query

    def search(self, query: np.ndarray, permitted: np.ndarray, count: int, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` best permitted rows by exact similarity. ``permitted`` is a boolean mask
        with ``count`` true entries."""
        if not self.size or count == 0 or depth <= 0:
            return []
        query = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(-1))
        depth = min(depth, count)
        if self._gpu is not None:
            rows = self._gpu.top_rows(query, permitted, min(count, depth * self.plan.rerank))
        elif self._ivf is None or count <= self.plan.exact_max_rows:
            rows = np.flatnonzero(permitted)
        else:
            rows = self._ann_candidates(query, permitted, count, min(count, depth * self.plan.rerank))
        return _top(rows, self.exact_scores(rows, query), depth)

    def probes_for(self, count: int) -> int:
        share = count / self.size
        return min(self.nlist, max(1, math.ceil(self.plan.probes / share**self.plan.probe_exponent)))

    def _ann_candidates(self, query: np.ndarray, permitted: np.ndarray, count: int, want: int) -> np.ndarray:
        bitmap = np.packbits(permitted, bitorder="little")
        selector = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bitmap))
        probes = self.probes_for(count)
        while True:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=probes)  # type: ignore[call-arg]
            _, ids = self._ivf.search(query.reshape(1, -1), want, params=params)
            rows = ids[0][ids[0] >= 0]
            if rows.size >= want or probes >= self.nlist:
                return np.sort(rows)
            probes = min(self.nlist, probes * 4)


def _top(rows: np.ndarray, scores: np.ndarray, depth: int) -> list[tuple[int, float]]:
    if rows.size == 0:
        return []
    take = min(depth, rows.size)
    best = np.argpartition(-scores, take - 1)[:take] if take < rows.size else np.arange(rows.size)
    best = best[np.lexsort((rows[best], -scores[best]))]
    return [(int(rows[i]), float(scores[i])) for i in best]
