"""Filtered search at scale: the product's ``HybridIndex`` on a synthetic company corpus.

    .venv/bin/python bench/filtered_search.py --chunks 1000000 --queries 200 --json OUT.json

Corpus (generated in batches, fixed seed): 384-dimensional unit vectors drawn around 2,000 topic
centres (each document has its own offset from its topic, each chunk its own noise), 4 chunks per
document on average, text of topic words and Zipf-distributed common words. ACLs shaped like a
company: 10,000 users, 1,500 groups with Zipf-distributed sizes, 30 % of the documents readable by the whole
tenant, the rest shared with 1–5 groups (some also with one user directly) and the records
management group (which makes an audience that reads 100 %). Vectors are written to a ``.npy`` file
and chunks to a ``chunks.jsonl``, both memory-mapped, as a served segment holds them.

Queries are perturbed chunk vectors with words of their topic, asked as audiences whose permitted
share is about 0.01 %, 0.1 %, 1 %, 10 %, 50 % and 100 %. Per share it prints and writes to the JSON:
``recall_at_10`` of the dense path against exact filtered search (brute force over the float32
vectors of the permitted rows), ``p50/p95/p99_ms`` of ``search(mode="dense")`` (filter included,
embedding excluded), ``hybrid_p95_ms`` of ``search(mode="hybrid")`` (what the answer pipeline calls)
and ``baseline_p95_ms``: the previous implementation's flat float32 index with ``IDSelectorBatch``,
measured in the same run (skipped above ``--baseline-max`` chunks, where it would not fit).
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one query is one small product; threads only wait

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss  # noqa: E402

from access import Audience, Principal  # noqa: E402
from retrieval.chunk_table import ChunkTable, chunk_line, write_chunk_lines  # noqa: E402
from retrieval.dense import DensePlan  # noqa: E402
from retrieval.index import HybridIndex  # noqa: E402
from retrieval.types import Chunk, DocumentRef  # noqa: E402

DIM = 384
TOPICS = 2_000
USERS = 10_000
GROUPS = 1_500
TENANT = "bench-tenant"
SHARES = (0.0001, 0.001, 0.01, 0.1, 0.5, 1.0)
VOCAB = 30_000


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class Corpus:
    """Documents, chunks and ACLs; vectors go to ``path`` batch by batch."""

    def __init__(self, chunks: int, path: Path, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.centres = _unit(rng.normal(size=(TOPICS, DIM)))
        self.group_weights = np.sort(1.0 / np.arange(1, GROUPS + 1) ** 1.1)[::-1]
        self.group_weights /= self.group_weights.sum()
        self.topic_words = rng.integers(0, VOCAB, size=(TOPICS, 12))
        self.names = np.array([f"w{w}" for w in range(VOCAB)], dtype=object)
        per_doc = rng.integers(1, 8, size=chunks // 2 + 16)  # 1-7 chunks, 4 on average
        ends = np.cumsum(per_doc)
        docs = int(np.searchsorted(ends, chunks) + 1)
        per_doc = per_doc[:docs]
        per_doc[-1] -= int(ends[docs - 1] - chunks)
        self.doc_of_row = np.repeat(np.arange(docs), per_doc)
        self.doc_topic = rng.integers(0, TOPICS, size=docs)
        self.acls = [self._acl() for _ in range(docs)]
        self.vectors = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(chunks, DIM))
        # a chunk is its topic centre, its document's offset (norm ~0.6) and its own noise (~0.35)
        offsets = rng.normal(scale=0.6 / np.sqrt(DIM), size=(docs, DIM)).astype(np.float32)
        for start in range(0, chunks, 100_000):
            stop = min(chunks, start + 100_000)
            docs_here = self.doc_of_row[start:stop]
            noise = rng.normal(scale=0.35 / np.sqrt(DIM), size=(stop - start, DIM)).astype(np.float32)
            self.vectors[start:stop] = _unit(self.centres[self.doc_topic[docs_here]] + offsets[docs_here] + noise)
        self.vectors.flush()

    def _acl(self) -> frozenset[str]:
        rng = self.rng
        if rng.random() < 0.3:
            return frozenset({f"tenant:{TENANT}"})
        groups = rng.choice(GROUPS, size=int(rng.integers(1, 6)), replace=False, p=self.group_weights)
        keys = {f"group:g{g}" for g in groups} | {"group:records"}  # records management reads all
        if rng.random() < 0.05:
            keys.add(f"user:u{int(rng.integers(0, USERS))}")
        return frozenset(keys)

    def text(self, row: int, words: int = 24) -> str:
        topic = self.doc_topic[self.doc_of_row[row]]
        rng = np.random.default_rng(row)
        own = self.topic_words[topic][rng.integers(0, 12, size=words // 3)]
        common = np.minimum(rng.zipf(1.3, size=words - own.size), VOCAB - 1)
        return " ".join(f"w{w}" for w in np.concatenate([own, common]))

    def texts(self, start: int, stop: int) -> list[str]:
        """The text of chunks ``start`` to ``stop``, generated in one vectorised pass."""
        rng = np.random.default_rng((5, start))
        rows = self.doc_of_row[start:stop]
        own = np.take_along_axis(
            self.topic_words[self.doc_topic[rows]], rng.integers(0, 12, size=(rows.size, 8)), axis=1
        )
        common = np.minimum(rng.zipf(1.3, size=(rows.size, 16)), VOCAB - 1)
        words = self.names[np.concatenate([own, common], axis=1)]
        return [" ".join(w) for w in words]

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk, generated batch by batch (a list of ten million would not fit)."""
        for start in range(0, self.doc_of_row.size, 100_000):
            stop = min(self.doc_of_row.size, start + 100_000)
            for row, text in zip(range(start, stop), self.texts(start, stop), strict=True):
                doc = int(self.doc_of_row[row])
                ref = DocumentRef(f"i{doc}", "drive", f"site{doc % 7}", f"Doc {doc}", f"https://x/{doc}")
                yield Chunk(f"c{row}", ref, row, (), text, self.acls[doc])


def audiences(index: HybridIndex) -> list[tuple[float, Audience]]:
    """One audience per target share: tenant members with groups above 30 %, guests below."""
    counts: dict[str, int] = {}
    segment = index.parts[0][0]
    everyone = Audience.of(Principal(TENANT, "auditor", frozenset({"records", "g0", "g1"})))
    for g in range(GROUPS):
        mask = segment.filter.permitted(Audience.of(Principal("guest", "x", frozenset({f"g{g}"}))))
        counts[f"g{g}"] = int(np.count_nonzero(mask))
    total = len(index)
    tenant_only = int(np.count_nonzero(segment.filter.permitted(Audience.of(Principal(TENANT, "x")))))
    out = []
    for share in SHARES:
        if share >= 1.0:
            out.append((share, everyone))
            continue
        target = share * total
        base_tenant = target >= tenant_only
        groups: set[str] = set()
        have = tenant_only if base_tenant else 0
        for name in sorted(counts, key=lambda n: -counts[n]):  # largest first: few groups, like a real user
            if have + counts[name] <= target * 1.05:
                groups.add(name)
                have += counts[name]
        if not groups:
            groups.add(min(counts, key=lambda g: abs(counts[g] - target)))
        tenant = TENANT if base_tenant else "guest"
        out.append((share, Audience.of(Principal(tenant, f"aud{share}", frozenset(groups)))))
    return out


class AnonPeak:
    """The largest anonymous resident memory (RssAnon) seen, sampled every 0.2 s: the process's
    own memory. ``ru_maxrss`` also counts the pages of the memory-mapped files that were read,
    which the kernel can drop."""

    def __init__(self) -> None:
        self.mb = 0.0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.mb = max(self.mb, anon_mb())
            time.sleep(0.2)


def anon_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p)) if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--baseline-max", type=int, default=2_000_000)
    parser.add_argument("--device", default=os.environ.get("INDEX_DEVICE", "cpu"))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="drop the vector and chunk files from the page cache before each share's queries",
    )
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="filtered-search-"))
    work.mkdir(parents=True, exist_ok=True)
    peak = AnonPeak()
    started = time.perf_counter()
    corpus = Corpus(args.chunks, work / "vectors.npy")
    write_chunk_lines(work / "chunks.jsonl", (chunk_line(c) for c in corpus.chunks()))
    chunks = ChunkTable.open(work / "chunks.jsonl")  # as a served segment holds them
    print(f"generated {args.chunks} chunks in {time.perf_counter() - started:.0f}s", flush=True)
    vectors = np.load(work / "vectors.npy", mmap_mode="r")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    from retrieval.gpu import resolve_device

    index = HybridIndex(chunks, vectors, "bench", plan=DensePlan(), device=resolve_device(args.device))
    build_s = time.perf_counter() - started
    memory_mb = index.memory_bytes() / 2**20
    print(f"built in {build_s:.0f}s; index memory {memory_mb:.0f} MiB", flush=True)
    baseline = None
    if args.chunks <= args.baseline_max:
        baseline = faiss.IndexFlatIP(DIM)
        for start in range(0, args.chunks, 100_000):
            baseline.add(np.ascontiguousarray(vectors[start : start + 100_000]))
    rng = np.random.default_rng(1)
    query_rows = rng.integers(0, args.chunks, size=args.queries)
    queries = _unit(vectors[np.sort(query_rows)] + rng.normal(scale=0.02, size=(args.queries, DIM)))
    texts = [" ".join(corpus.text(int(r), 6).split()[:4]) for r in np.sort(query_rows)]
    rows_out: list[dict[str, Any]] = []
    header = f"{'share':>8} {'permitted':>10} {'recall@10':>9} {'p50':>7} {'p95':>7} {'p99':>7} {'hyb p95':>8} {'base p95':>9} {'ratio':>6}"
    print(header)
    for share, audience in audiences(index):
        permitted = index.permitted_rows(audience)
        truth = exact_top(vectors, permitted, queries, 10)
        if args.cold:
            maps = [getattr(vectors, "_mmap", None), chunks._buffer]  # the bench reaches into both on purpose
            drop_from_page_cache(maps, work / "vectors.npy", work / "chunks.jsonl")
        dense_ms, hybrid_ms, base_ms, recalls = [], [], [], []
        for i, (q, text) in enumerate(zip(queries, texts, strict=True)):
            t0 = time.perf_counter()
            hits = index.search(text, q, audience=audience, k=10, mode="dense")
            dense_ms.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            index.search(text, q, audience=audience, k=10, mode="hybrid")
            hybrid_ms.append(1000 * (time.perf_counter() - t0))
            got = {int(h.chunk.chunk_id[1:]) for h in hits}
            recalls.append(len(got & set(truth[i].tolist())) / max(1, min(10, permitted.size)))
            if baseline is not None and i < args.baseline_queries:
                t0 = time.perf_counter()
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(permitted))  # type: ignore[call-arg]
                baseline.search(q.reshape(1, -1), 40, params=params)
                base_ms.append(1000 * (time.perf_counter() - t0))
        row = {
            "selectivity": share,
            "permitted": int(permitted.size),
            "recall_at_10": round(float(np.mean(recalls)), 4),
            "p50_ms": round(percentile(dense_ms, 50), 3),
            "p95_ms": round(percentile(dense_ms, 95), 3),
            "p99_ms": round(percentile(dense_ms, 99), 3),
            "hybrid_p95_ms": round(percentile(hybrid_ms, 95), 3),
            "baseline_p95_ms": round(percentile(base_ms, 95), 3) if base_ms else None,
        }
        ratio = (row["baseline_p95_ms"] or 0) / row["p95_ms"] if row["p95_ms"] else 0
        rows_out.append(row)
        print(
            f"{share:>8.4%} {row['permitted']:>10} {row['recall_at_10']:>9.4f} {row['p50_ms']:>7.2f} "
            f"{row['p95_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['hybrid_p95_ms']:>8.2f} "
            f"{row['baseline_p95_ms'] or float('nan'):>9.2f} {ratio:>6.1f}",
            flush=True,
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "chunks": args.chunks,
        "build_s": round(build_s, 1),
        "memory_mb": round(memory_mb, 1),
        "device": index.parts[0][0].dense.device,
        "threads": args.threads,
        "queries": args.queries,
        "cold_page_cache": args.cold,
        "peak_rss_mb": round(rss_mb, 0),
        "rss_before_build_mb": round(rss_before / 1024, 0),
        "peak_anon_mb": round(peak.mb, 0),
        "anon_after_mb": round(anon_mb(), 0),
        "rows": rows_out,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


def drop_from_page_cache(maps: list[Any], *paths: Path) -> None:
    """Unmap the pages of this process's memory maps (``MADV_DONTNEED``; mapped pages are not
    evicted) and ask the kernel to drop the files' cached pages (``POSIX_FADV_DONTNEED``): the
    next reads come from the disk, as on a replica whose page cache does not hold them."""
    for buffer in maps:
        if isinstance(buffer, mmap.mmap):
            buffer.madvise(mmap.MADV_DONTNEED)
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def exact_top(vectors: np.ndarray, permitted: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact filtered top-k (rows) for every query: brute force over the permitted float32 rows."""
    best_scores = np.full((queries.shape[0], 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((queries.shape[0], 0), dtype=np.int64)
    for start in range(0, permitted.size, 200_000):
        rows = permitted[start : start + 200_000]
        scores = queries @ np.asarray(vectors[rows]).T
        all_scores = np.concatenate([best_scores, scores], axis=1)
        all_rows = np.concatenate([best_rows, np.broadcast_to(rows, scores.shape)], axis=1)
        take = min(k, all_scores.shape[1])
        top = np.argpartition(-all_scores, take - 1, axis=1)[:, :take]
        best_scores = np.take_along_axis(all_scores, top, axis=1)
        best_rows = np.take_along_axis(all_rows, top, axis=1)
    return best_rows


if __name__ == "__main__":
    sys.exit(main())
