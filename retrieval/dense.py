"""Dense search over the permitted rows of one segment, planned per query.

Every row of a large segment has an 8-bit scalar-quantised copy of its vector in memory (one
shared code book, 1 byte per dimension, in row order) and belongs to one inverted list (k-means
over the vectors, ~``list_size`` rows per list). A query's candidates are scored from those codes
and re-ranked with the exact float32 vectors, which stay on disk (memory-mapped) and are read only
for the candidates. The permitted rows are known before any of this, so a non-permitted row is
never scored and never takes a place in the result. By the number of permitted rows:

- **Exact** up to ``DensePlan.exact_max_rows``: their float32 vectors are scored directly.
- **Scan** up to ``DensePlan.scan_max_rows``: every permitted row's code is scored (a gather and
  one product per block of rows); no list is probed, so nothing permitted is missed.
- **Probe** above: only the permitted rows of the lists nearest the query are scored. The number
  of probed lists grows as the permitted share shrinks (a permitted neighbour is farther away in a
  sparse set). If they hold fewer permitted rows than wanted while the set holds more, the probe
  is widened until they do, up to every list: never fewer than ``k`` permitted hits when ``k``
  exist.

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
    scan_max_rows: int = 32_768
    """Permitted rows up to this many are all scored from their codes (no list is probed)."""
    ann_min_rows: int = 20_000
    """Segments smaller than this have no codes or lists; every search over them is exact."""
    list_size: int = 384
    """Average rows per inverted list (the number of lists is rows / list_size)."""
    probes: int = 32
    """Lists probed when everything is permitted; divided by selectivity ** probe_exponent (a
    sparse permitted set needs a wider probe)."""
    probe_exponent: float = 1.0
    rerank: int = 3
    """Candidates re-ranked exactly per wanted hit."""
    train_rows: int = 100_000
    """Rows sampled to train the lists (k-means) and the scalar quantiser, at least
    ``train_per_list`` per list."""
    train_per_list: int = 16
    two_level_lists: int = 8192
    """With more lists than this, k-means is two-level (``faiss.contrib.clustering``: √n coarse
    clusters, each split) and rows are assigned to lists through an HNSW graph of the centroids.
    Flat k-means and a flat assignment of 10M rows to 26,000 centroids would take about an hour
    on 2 cores; this takes minutes."""
    add_batch: int = 65_536
    scan_block: int = 4096
    """Codes are widened to float32 this many rows at a time (the block stays in cache)."""


DEFAULT_PLAN = DensePlan()


class QuantisedLists:
    """SQ8 codes of every row (row order), k-means centroids and the rows of each list.

    ``scores(rows, query)`` is the inner product of ``query`` with the *decoded* vectors of
    ``rows`` without decoding them: a code ``c`` stands for ``vmin + (c + 0.5) / 255 * vdiff``
    per dimension, so the product is ``c @ (query * vdiff / 255) + query @ (vmin + vdiff / 510)``.
    """

    def __init__(self, vectors: np.ndarray, plan: DensePlan) -> None:
        size, dim = vectors.shape
        self.nlist = max(1, size // plan.list_size)
        rng = np.random.default_rng(0)
        train_rows = min(size, max(plan.train_rows, plan.train_per_list * self.nlist))
        sample_rows = np.sort(rng.choice(size, size=train_rows, replace=False))
        sample = np.ascontiguousarray(vectors[sample_rows], dtype=np.float32)
        self.centroids = _centroids(sample, self.nlist, plan)
        sq = faiss.ScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit)
        sq.train(sample)
        del sample
        trained = faiss.vector_to_array(sq.trained).astype(np.float32)
        self._vmin, self._vdiff = trained[:dim], trained[dim:]
        assign = _assigner(self.centroids, plan)
        self.codes = np.empty((size, dim), dtype=np.uint8)
        lists = np.empty(size, dtype=np.int32)
        for start in range(0, size, plan.add_batch):
            stop = min(size, start + plan.add_batch)
            batch = np.ascontiguousarray(vectors[start:stop], dtype=np.float32)
            self.codes[start:stop] = sq.compute_codes(batch)
            lists[start:stop] = assign.search(batch, 1)[1][:, 0]
        self.order = np.argsort(lists, kind="stable").astype(np.int32)
        """Rows sorted by list; list ``l`` is ``order[offsets[l]:offsets[l + 1]]``."""
        self.offsets = np.searchsorted(lists[self.order], np.arange(self.nlist + 1)).astype(np.int64)
        self._block = plan.scan_block

    def memory_bytes(self) -> int:
        arrays = (self.codes, self.order, self.offsets, self.centroids, self._vmin, self._vdiff)
        return sum(int(a.nbytes) for a in arrays)

    def scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        weights = query * self._vdiff / 255
        constant = float(query @ (self._vmin + self._vdiff / 510))
        out = np.empty(rows.size, dtype=np.float32)
        for start in range(0, rows.size, self._block):
            block = rows[start : start + self._block]
            out[start : start + block.size] = self.codes[block].astype(np.float32) @ weights
        return out + constant

    def probed_rows(self, query: np.ndarray, probes: int) -> np.ndarray:
        """The rows of the ``probes`` lists whose centroids are nearest ``query``."""
        if probes >= self.nlist:
            return self.order
        nearest = np.argpartition(-(self.centroids @ query), probes - 1)[:probes]
        starts, stops = self.offsets[nearest], self.offsets[nearest + 1]
        lengths = stops - starts
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        return self.order[np.arange(int(lengths.sum())) + shift]


def _centroids(sample: np.ndarray, nlist: int, plan: DensePlan) -> np.ndarray:
    """Unit-length k-means centroids of ``sample``: flat, or two-level for many lists."""
    dim = sample.shape[1]
    if nlist <= plan.two_level_lists:
        kmeans = faiss.Kmeans(dim, nlist, niter=20, spherical=True, seed=1234)
        kmeans.train(sample)
        return np.ascontiguousarray(kmeans.centroids, dtype=np.float32)
    from faiss.contrib.clustering import two_level_clustering

    centroids, _ = two_level_clustering(
        sample, int(math.sqrt(nlist)), nlist, clustering_niter=10, spherical=True, seed=1234
    )
    return np.ascontiguousarray(centroids, dtype=np.float32)


def _assigner(centroids: np.ndarray, plan: DensePlan) -> Any:
    """The index that finds a row's list: exact over few centroids, an HNSW graph over many."""
    dim = centroids.shape[1]
    if len(centroids) <= plan.two_level_lists:
        flat = faiss.IndexFlatIP(dim)
        flat.add(centroids)
        return flat
    graph = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 80
    graph.hnsw.efSearch = 64
    graph.add(centroids)
    return graph


class DenseSegment:
    """The dense side of one segment. ``vectors`` may be a read-only memory map."""

    def __init__(self, vectors: np.ndarray, plan: DensePlan | None = None, device: str = "cpu") -> None:
        self.vectors = vectors
        self.size = int(vectors.shape[0]) if vectors.ndim == 2 else 0
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self.plan = plan = plan or DensePlan()
        self._lists: QuantisedLists | None = None
        self.nlist = 0
        self._gpu: Any = None
        self.device = device
        if device == "cuda" and self.size:
            from retrieval.gpu import TorchExactScorer

            self._gpu = TorchExactScorer(vectors)
        elif self.size >= plan.ann_min_rows:
            self._lists = QuantisedLists(vectors, plan)
            self.nlist = self._lists.nlist

    @property
    def has_ann(self) -> bool:
        return self._lists is not None

    def memory_bytes(self) -> int:
        """Bytes held in memory by the search structures (not the memory-mapped float32 vectors)."""
        if self._gpu is not None:
            return 0
        if self._lists is None:
            return 0 if isinstance(self.vectors, np.memmap) else int(self.vectors.nbytes)
        return self._lists.memory_bytes()

    def exact_scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Exact cosine similarity of ``rows`` (sorted) with ``query``."""
        if rows.size == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.vectors[rows], dtype=np.float32) @ query

    def plan_for(self, count: int) -> str:
        """``exact``, ``scan`` or ``probe``: how a query with ``count`` permitted rows is answered."""
        if self._lists is None or count <= self.plan.exact_max_rows:
            return "exact"
        return "scan" if count <= self.plan.scan_max_rows else "probe"

    def search(
        self, query: np.ndarray, permitted: np.ndarray, count: int, depth: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``depth`` best permitted rows by exact similarity. ``permitted`` is a boolean mask
        with ``count`` true entries; ``rows``, if given, are those entries' rows, sorted."""
        if not self.size or count == 0 or depth <= 0:
            return []
        query = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(-1))
        depth = min(depth, count)
        want = min(count, depth * self.plan.rerank)
        if self._gpu is not None:
            rows = self._gpu.top_rows(query, permitted, want)
        elif self.plan_for(count) == "exact":
            rows = np.flatnonzero(permitted) if rows is None else rows
        elif self.plan_for(count) == "scan":
            rows = self._best_by_codes(np.flatnonzero(permitted) if rows is None else rows, query, want)
        else:
            rows = self._probe_candidates(query, permitted, count, want)
        return _top(rows, self.exact_scores(rows, query), depth)

    def probes_for(self, count: int) -> int:
        share = count / self.size
        return min(self.nlist, max(1, math.ceil(self.plan.probes / share**self.plan.probe_exponent)))

    def _best_by_codes(self, rows: np.ndarray, query: np.ndarray, want: int) -> np.ndarray:
        """The ``want`` of ``rows`` with the best code scores, sorted by row (for the re-rank)."""
        assert self._lists is not None
        if rows.size > want:
            scores = self._lists.scores(rows, query)
            rows = rows[np.argpartition(-scores, want - 1)[:want]]
        return np.sort(rows)

    def _probe_candidates(self, query: np.ndarray, permitted: np.ndarray, count: int, want: int) -> np.ndarray:
        assert self._lists is not None
        probes = self.probes_for(count)
        while True:
            rows = self._lists.probed_rows(query, probes)
            rows = rows[permitted[rows]]
            if rows.size >= want or probes >= self.nlist:
                return self._best_by_codes(rows, query, want)
            probes = min(self.nlist, probes * 4)


def _top(rows: np.ndarray, scores: np.ndarray, depth: int) -> list[tuple[int, float]]:
    if rows.size == 0:
        return []
    take = min(depth, rows.size)
    best = np.argpartition(-scores, take - 1)[:take] if take < rows.size else np.arange(rows.size)
    best = best[np.lexsort((rows[best], -scores[best]))]
    return [(int(rows[i]), float(scores[i])) for i in best]
