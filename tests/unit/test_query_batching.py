"""Concurrent questions share query-embedding calls; each gets its own vector or the error."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from retrieval.query_batching import QueryBatcher
from tests.fakes import FakeEmbedder


class SlowEmbedder(FakeEmbedder):
    """Each call takes 50 ms (as a real model's would) and is recorded with its batch size."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.fail = fail
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.05)
        with self._lock:
            self.batches.append(len(texts))
        if self.fail:
            raise RuntimeError("model file unreadable")
        return super().embed_queries(texts)


QUERIES = ["hotel limit", "vacation days", "salary bands", "travel policy"] * 10


def test_concurrent_queries_are_embedded_in_few_calls_each_getting_its_own_vector() -> None:
    embedder = SlowEmbedder()
    batcher = QueryBatcher(embedder, max_batch=16)

    async def all_at_once() -> list[np.ndarray]:
        return await asyncio.gather(*(batcher.embed(q) for q in QUERIES))

    vectors = asyncio.run(all_at_once())
    expected = FakeEmbedder().embed_queries(QUERIES)
    assert all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True))
    assert sum(embedder.batches) == len(QUERIES)
    assert max(embedder.batches) <= 16 and len(embedder.batches) <= 4, embedder.batches


def test_a_lone_query_does_not_wait_for_a_batch() -> None:
    embedder = SlowEmbedder()
    batcher = QueryBatcher(embedder)
    started = time.perf_counter()
    asyncio.run(batcher.embed("hotel limit"))
    assert time.perf_counter() - started < 0.5 and embedder.batches == [1]


def test_a_failing_embedder_fails_every_caller_of_the_batch_and_the_next_call_runs_again() -> None:
    embedder = SlowEmbedder(fail=True)
    batcher = QueryBatcher(embedder)

    async def run() -> list[object]:
        return await asyncio.gather(*(batcher.embed(q) for q in QUERIES[:5]), return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, RuntimeError) for r in results)
    embedder.fail = False
    assert asyncio.run(batcher.embed("hotel limit")).shape == (embedder.dim,)


def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    embedder = SlowEmbedder()
    batcher = QueryBatcher(embedder)

    async def run() -> np.ndarray:
        first = asyncio.create_task(batcher.embed("hotel limit"))
        impatient = asyncio.create_task(batcher.embed("vacation days"))
        other = asyncio.create_task(batcher.embed("salary bands"))
        await asyncio.sleep(0)
        impatient.cancel()
        await first
        with pytest.raises(asyncio.CancelledError):
            await impatient
        return await other

    assert asyncio.run(run()).shape == (embedder.dim,)
