"""The hybrid index: dense (FAISS) and BM25 (lexical), ACL-filtered *before* ranking.

An index is a list of immutable segments, each with rows that later segments have replaced or
deleted marked dead (tombstones). Per segment the permitted rows for an audience are computed first
as a mask (``retrieval.rowfilter``); both rankers then only ever look at those rows (the dense one
exactly or over the quantised codes of permitted rows only, see ``retrieval.dense``; BM25 sums
only the permitted entries of its query terms' posting lists), and the scores are fused (see
``LEXICAL_WEIGHT``). A chunk whose ACL is empty is in no posting list and readable by nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from access import Audience
from retrieval.chunk_table import ChunkTable, as_chunks
from retrieval.dense import DEFAULT_PLAN, DensePlan, DenseSegment
from retrieval.lexical import SEARCH_SHARE, LexicalIndex
from retrieval.rowfilter import RowFilterBuilder
from retrieval.types import Chunk, Hit

LEXICAL_WEIGHT = 0.015
"""Fusion: cosine similarity + LEXICAL_WEIGHT × (BM25 / best BM25 of the permitted candidates).

Dense retrieval with multilingual-e5 also matches across languages (an English question about a
German document); BM25 cannot, and with reciprocal rank fusion its matches on common words pushed
such documents down (English MRR@5 0.74 against 0.89 for dense alone). As a small additive boost
BM25 breaks ties between close dense scores on exact terms (codes, names, numbers). Measured in
tests/unit/test_retrieval_quality.py: MRR@5 de 0.899 (dense 0.894, BM25 0.871), en 0.875 (dense
0.889, BM25 0.695); recall@3 de 0.968, en 0.931 (dense 0.935 / 0.897)."""


@dataclass(frozen=True)
class RelevanceGate:
    """When is a hit good enough to be called a match (otherwise: "nothing permitted matches")?

    A hit passes if its dense similarity reaches ``min_dense`` or it shares at least
    ``min_lexical`` BM25 score with the query. The defaults are calibrated for
    multilingual-e5-small on the seed corpus (unrelated questions score 0.75-0.81, answerable
    ones 0.84-0.89); another embedder needs its own ``RELEVANCE_MIN_DENSE``.
    """

    min_dense: float = 0.83
    min_lexical: float = 1.0

    def passes(self, hit: Hit) -> bool:
        dense_ok = hit.dense_score is not None and hit.dense_score >= self.min_dense
        lexical_ok = hit.lexical_score is not None and hit.lexical_score >= self.min_lexical
        return dense_ok or lexical_ok


class Segment:
    """One immutable set of chunks with their vectors: dense index, BM25 and ACL postings."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        *,
        plan: DensePlan = DEFAULT_PLAN,
        device: str = "cpu",
        segment_id: str = "",
    ) -> None:
        if len(chunks) != vectors.shape[0]:
            raise ValueError(f"{len(chunks)} chunks but {vectors.shape[0]} vectors")
        self.segment_id = segment_id
        self.chunks = as_chunks(chunks)
        self.dense = DenseSegment(vectors, plan, device)
        rows = RowFilterBuilder()

        def texts() -> Iterator[str]:  # one pass over the chunks feeds both (a table parses each once)
            for chunk in self.chunks:
                rows.add(chunk)
                yield chunk.indexed_text

        self.lexical = LexicalIndex(texts())
        self.filter = rows.build()

    def __len__(self) -> int:
        return len(self.chunks)

    def alive_mask(self, dead: Iterable[tuple[str, str]]) -> np.ndarray | None:
        """Rows not belonging to the ``dead`` documents (None when none of them is here)."""
        alive: np.ndarray | None = None
        for doc in dead:
            rows = self.filter.doc_rows(doc)
            if rows.size:
                alive = np.ones(len(self), dtype=bool) if alive is None else alive
                alive[rows] = False
        return alive

    def memory_bytes(self) -> int:
        table = self.chunks.memory_bytes() if isinstance(self.chunks, ChunkTable) else 0
        return self.dense.memory_bytes() + self.lexical.memory_bytes() + self.filter.memory_bytes() + table


Key = tuple[int, int]
"""(segment position, row in that segment)"""


class HybridIndex:
    """Search over segments; ``HybridIndex(chunks, vectors, name)`` is an index of one segment.

    Behind this class sits the whole retrieval contract (``search`` with a mandatory audience), so
    a distributed engine can replace it (see docs/scaling.md).
    """

    def __init__(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        embedder_name: str,
        *,
        plan: DensePlan = DEFAULT_PLAN,
        device: str = "cpu",
    ) -> None:
        segment = Segment(chunks, vectors, plan=plan, device=device)
        self._init([(segment, None)], embedder_name)

    @classmethod
    def from_segments(cls, parts: Sequence[tuple[Segment, np.ndarray | None]], embedder_name: str) -> HybridIndex:
        """An index over ``(segment, alive mask or None)`` pairs, oldest first."""
        index = cls.__new__(cls)
        index._init(list(parts), embedder_name)
        return index

    def _init(self, parts: list[tuple[Segment, np.ndarray | None]], embedder_name: str) -> None:
        self.embedder_name = embedder_name
        self.parts = parts
        self._offsets = np.cumsum([0] + [len(s) for s, _ in parts])

    @cached_property
    def chunks(self) -> list[Chunk]:
        """The live chunks (not tombstoned), segment by segment."""
        out: list[Chunk] = []
        for segment, alive in self.parts:
            out.extend(
                segment.chunks if alive is None else [c for c, a in zip(segment.chunks, alive, strict=True) if a]
            )
        return out

    @property
    def vectors(self) -> np.ndarray:
        """The float32 vectors of all rows, dead ones included (a copy when there are segments)."""
        if len(self.parts) == 1:
            return self.parts[0][0].dense.vectors
        return np.concatenate([np.asarray(s.dense.vectors) for s, _ in self.parts if len(s)])

    def __len__(self) -> int:
        return sum(len(s) if a is None else int(np.count_nonzero(a)) for s, a in self.parts)

    def document_chunks(self, doc: tuple[str, str]) -> list[Chunk]:
        """The live chunks of one document (drive id, item id), by position. Only its own rows
        are read, so this costs the same at ten million chunks as at ten."""
        found: list[Chunk] = []
        for segment, alive in self.parts:
            rows = segment.filter.doc_rows(doc)
            found.extend(segment.chunks[int(r)] for r in rows if alive is None or alive[r])
        return sorted(found, key=lambda c: c.position)

    @property
    def document_count(self) -> int:
        """Documents with a live row (a document replaced in a later segment counts once)."""
        live: set[tuple[str, str]] = set()
        for segment, alive in self.parts:
            for doc in segment.filter.documents:
                if alive is None or alive[segment.filter.doc_rows(doc)].any():
                    live.add(doc)
        return len(live)

    def memory_bytes(self) -> int:
        """Bytes of the in-memory search structures (quantised vectors, lists, BM25, postings)."""
        return sum(s.memory_bytes() for s, _ in self.parts)

    def _masks(self, audience: Audience, site: str | None, exclude: Iterable[tuple[str, str]]) -> list[np.ndarray]:
        return [s.filter.permitted(audience, site=site, exclude=exclude, alive=a) for s, a in self.parts]

    def permitted_rows(self, audience: Audience, *, site: str | None = None) -> np.ndarray:
        """Rows (numbered across segments, dead ones included) every member of ``audience`` may
        read, sorted. Empty ACL rows and tombstoned rows are never included."""
        masks = self._masks(audience, site, ())
        rows = [np.flatnonzero(m) + self._offsets[i] for i, m in enumerate(masks)]
        return np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        *,
        audience: Audience,
        k: int = 5,
        mode: str = "hybrid",
        exclude: frozenset[tuple[str, str]] = frozenset(),
        site: str | None = None,
    ) -> list[Hit]:
        """The ``k`` best permitted chunks. ``mode`` is ``hybrid``, ``dense`` or ``lexical``.

        ``exclude`` names documents (drive id, item id) to leave out, e.g. those whose access was
        revoked since the snapshot was written; ``site`` restricts to one SharePoint site id. Both
        are applied to the permitted set before ranking, so ``k`` hits still come back when ``k``
        permitted chunks exist.
        """
        if k <= 0:
            return []
        depth = max(4 * k, 20)
        vector = np.ascontiguousarray(np.asarray(query_vector, dtype=np.float32).reshape(-1))
        dense: list[tuple[float, Key]] = []
        lexical: list[tuple[float, Key]] = []
        for position, mask in enumerate(self._masks(audience, site, exclude)):
            count = int(np.count_nonzero(mask))
            if count == 0:
                continue
            segment = self.parts[position][0]
            # few permitted rows: listed once, for the exact/scan plans and BM25's look-ups
            rows = np.flatnonzero(mask) if count * SEARCH_SHARE < len(segment) else None
            if mode in ("hybrid", "dense"):
                found = segment.dense.search(vector, mask, count, depth, rows=rows)
                dense.extend((s, (position, r)) for r, s in found)
            if mode in ("hybrid", "lexical"):
                found = segment.lexical.top_permitted(query, mask, depth, rows=rows)
                lexical.extend((s, (position, r)) for r, s in found)
        dense_scores = dict((key, s) for s, key in sorted(dense, key=lambda x: (-x[0], x[1]))[:depth])
        lexical_scores = dict((key, s) for s, key in sorted(lexical, key=lambda x: (-x[0], x[1]))[:depth])
        self._fill_dense(dense_scores, [key for key in lexical_scores if key not in dense_scores], vector)
        top_lexical = max(lexical_scores.values(), default=0.0) or 1.0
        fused: dict[Key, float] = {}
        for key in set(dense_scores) | set(lexical_scores):
            dense_part = dense_scores.get(key, 0.0) if mode != "lexical" else 0.0
            lexical_part = lexical_scores.get(key, 0.0) / top_lexical
            fused[key] = dense_part + (LEXICAL_WEIGHT if mode == "hybrid" else 1.0) * lexical_part
        order = sorted(fused, key=lambda key: (-fused[key], key))[:k]
        return [
            Hit(
                chunk=self.parts[key[0]][0].chunks[key[1]],
                score=fused[key],
                dense_score=dense_scores.get(key),
                lexical_score=lexical_scores.get(key, 0.0),
            )
            for key in order
        ]

    def _fill_dense(self, scores: dict[Key, float], missing: list[Key], vector: np.ndarray) -> None:
        """Rows found only by BM25 still need their dense score."""
        for position in {p for p, _ in missing}:
            dense = self.parts[position][0].dense
            if not dense.dim:
                continue
            rows = np.asarray(sorted(r for p, r in missing if p == position), dtype=np.int64)
            for row, value in zip(rows, dense.exact_scores(rows, vector), strict=True):
                scores[(position, int(row))] = float(value)
