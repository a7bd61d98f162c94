"""kill -9 while a segment or a merge is being written: nothing is lost, the previous generation is served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from access import Audience, Principal
from retrieval.live_index import LiveIndex
from retrieval.snapshots import SnapshotStore
from retrieval.types import Chunk, DocumentRef

REPO = Path(__file__).resolve().parents[2]
DIM = 16

WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from retrieval.snapshots import SnapshotStore
    from retrieval.types import Chunk, DocumentRef
    store = SnapshotStore(sys.argv[1])
    if sys.argv[2] == "merge":
        store.merge()
    else:
        n = 60_000
        chunks = [Chunk(f"new-{i}", DocumentRef(f"new{i // 3}", "drive", "s", "t", "u"), i, (), "new text " * 20,
                        frozenset({"tenant:t"})) for i in range(n)]
        store.write_segment(chunks, np.ones((n, 16), np.float32) / 4, "emb", removed=[("drive", "a")])
    print("finished", flush=True)
    """
)


def _chunks(prefix: str, docs: int) -> list[Chunk]:
    return [
        Chunk(
            f"{prefix}{d}-{n}",
            DocumentRef(f"{prefix}{d}", "drive", "s", "t", "u"),
            n,
            (),
            "old text",
            frozenset({"tenant:t"}),
        )
        for d in range(docs)
        for n in range(3)
    ]


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _kill_when_writing(store: SnapshotStore, mode: str, delay_s: float) -> None:
    """Start the writer, wait until its temporary segment exists, wait ``delay_s`` more, kill -9."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store.index_dir), mode], cwd=REPO, env=env, stdout=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.startswith(".tmp-") for p in store.segments_dir.iterdir()):
            assert child.poll() is None, "the writer finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        time.sleep(delay_s)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        assert child.stdout is not None
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(("mode", "delay_s"), [("segment", 0.0), ("segment", 0.3), ("merge", 0.0), ("merge", 0.2)])
def test_kill_9_during_a_write_loses_nothing(tmp_path: Path, mode: str, delay_s: float) -> None:
    store = SnapshotStore(tmp_path / "index")
    # a merge rewrites the base: big enough that it is still running delay_s after it began, on
    # an idle machine too (15,000 chunks merged within 0.2 s there)
    base = _chunks("a", 40_000 if mode == "merge" else 5_000)
    store.write(base, _vectors(len(base), 0), "emb")
    later = _chunks("b", 50)
    store.write_segment(later, _vectors(len(later), 1), "emb", removed=[("drive", "a0")])
    before_id = store.current_id()
    before = sorted(c.chunk_id for c in store.load()[0])
    live = LiveIndex(store, "emb")
    assert live.refresh()

    _kill_when_writing(store, mode, delay_s)

    assert store.current_id() == before_id, "CURRENT still names the previous generation"
    chunks, vectors, _ = SnapshotStore(tmp_path / "index").load()
    assert sorted(c.chunk_id for c in chunks) == before and len(vectors) == len(before)
    assert live.refresh() is False  # the server keeps serving what it had
    hits = (
        live.index.search("old", _vectors(1, 2)[0], audience=Audience.of(Principal("t", "u")), k=5)
        if live.index
        else []
    )
    assert len(hits) == 5

    # the next writer works and clears the dead writer's leftovers
    fresh = SnapshotStore(tmp_path / "index")
    fresh.write_segment(_chunks("c", 1), _vectors(3, 3), "emb", removed=[])
    assert not [p for p in (tmp_path / "index").rglob(".tmp-*")]
    assert not [p for p in (tmp_path / "index").glob(".CURRENT.*")]
    assert len(fresh.load()[0]) == len(before) + 3
