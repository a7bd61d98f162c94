"""The hybrid index (ACL filter before ranking) and on-disk snapshots."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access import Audience, Principal
from retrieval import snapshots
from retrieval.index import HybridIndex, RelevanceGate
from retrieval.live_index import LiveIndex
from retrieval.snapshots import KEEP_SNAPSHOTS, SnapshotStore
from retrieval.types import Chunk, DocumentRef, Hit

DIM = 8
TENANT = "t1"
USERS = ["u1", "u2", "u3"]
GROUPS = ["g1", "g2", "g3"]
KEYS = [f"user:{u}" for u in USERS] + [f"group:{g}" for g in GROUPS] + [f"tenant:{TENANT}", "tenant:t2"]
VOCAB = ["hotel", "reise", "urlaub", "budget", "server", "policy", "kantine", "deploy", "expense", "vacation"]


def _doc(n: int) -> DocumentRef:
    return DocumentRef(item_id=f"item{n}", drive_id="drive", site_id="site", title=f"Doc {n}", web_url=f"https://x/{n}")


def _chunk(n: int, text: str, acl: frozenset[str], doc: int | None = None) -> Chunk:
    return Chunk(chunk_id=f"c{n}", doc=_doc(n if doc is None else doc), position=0, headings=(), text=text, acl=acl)


def _vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


principals = st.builds(
    lambda user, groups, tenant: Principal(tenant_id=tenant, user_id=user, group_ids=frozenset(groups)),
    st.sampled_from(USERS),
    st.frozensets(st.sampled_from(GROUPS)),
    st.sampled_from([TENANT, "t2"]),
)
chunk_specs = st.lists(
    st.tuples(
        st.frozensets(st.sampled_from(KEYS), max_size=3),
        st.lists(st.sampled_from(VOCAB), min_size=1, max_size=6),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=chunk_specs,
    members=st.lists(principals, min_size=1, max_size=3),
    query=st.lists(st.sampled_from(VOCAB + ["unrelated"]), min_size=1, max_size=4),
    k=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_search_only_returns_what_every_member_may_read(
    specs: list[tuple[frozenset[str], list[str]]],
    members: list[Principal],
    query: list[str],
    k: int,
    seed: int,
) -> None:
    chunks = [_chunk(i, " ".join(words), acl) for i, (acl, words) in enumerate(specs)]
    vectors = _vectors(len(chunks), seed)
    index = HybridIndex(chunks, vectors, "test")
    audience = Audience(tuple(members))

    expected = {
        row
        for row, chunk in enumerate(chunks)
        if chunk.acl and all(not m.acl_keys.isdisjoint(chunk.acl) for m in members)
    }
    permitted = index.permitted_rows(audience)
    assert set(permitted.tolist()) == expected
    assert permitted.tolist() == sorted(expected)

    query_vector = _vectors(1, seed + 1)[0]
    for mode in ("hybrid", "dense", "lexical"):
        hits = index.search(" ".join(query), query_vector, audience=audience, k=k, mode=mode)
        rows = [int(h.chunk.chunk_id[1:]) for h in hits]
        assert len(rows) == len(set(rows)) <= k
        assert set(rows) <= expected
        for hit in hits:
            assert hit.chunk.acl, "a chunk with an empty ACL is readable by nobody"
            assert all(m.can_read(hit.chunk.acl) for m in members)
            assert audience.can_read(hit.chunk.acl)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        if mode in ("dense", "hybrid"):
            # the dense ranker sees every permitted row, so the result is never short
            assert len(hits) == min(k, len(expected))
        if mode == "dense" and expected:
            sims = {r: float(vectors[r] @ query_vector) for r in expected}
            best = sorted(sims, key=lambda r: -sims[r])[: len(hits)]
            assert pytest.approx(sorted(sims[r] for r in rows)) == sorted(sims[r] for r in best)
        if mode == "lexical":
            assert all(h.lexical_score is not None and h.lexical_score > 0 for h in hits)


def _small_index() -> tuple[HybridIndex, list[Chunk]]:
    everyone = frozenset({f"tenant:{TENANT}"})
    chunks = [
        _chunk(0, "hotel limit 120 EUR per night", everyone),
        _chunk(1, "hotel limit for executives 200 EUR", frozenset({"group:g1"})),
        _chunk(2, "vacation days carry over until March", everyone),
        _chunk(3, "secret salary bands hotel", frozenset()),  # nobody
    ]
    return HybridIndex(chunks, _vectors(4, 7), "test"), chunks


def test_k_larger_than_permitted_set() -> None:
    index, _ = _small_index()
    audience = Audience.of(Principal(TENANT, "u1"))
    hits = index.search("hotel", _vectors(1, 1)[0], audience=audience, k=50)
    assert sorted(h.chunk.chunk_id for h in hits) == ["c0", "c2"]
    lexical = index.search("hotel", _vectors(1, 1)[0], audience=audience, k=50, mode="lexical")
    assert [h.chunk.chunk_id for h in lexical] == ["c0"]


def test_hybrid_fills_in_both_scores() -> None:
    index, _ = _small_index()
    audience = Audience.of(Principal(TENANT, "u1", frozenset({"g1"})))
    query_vector = _vectors(1, 1)[0]
    hits = index.search("hotel", query_vector, audience=audience, k=3)
    assert {h.chunk.chunk_id for h in hits} == {"c0", "c1", "c2"}
    for hit in hits:
        row = int(hit.chunk.chunk_id[1:])
        assert hit.dense_score == pytest.approx(float(index.vectors[row] @ query_vector), abs=1e-5)
        assert hit.lexical_score is not None
        assert (hit.lexical_score > 0) == ("hotel" in hit.chunk.text)


def test_excluded_documents_are_never_ranked() -> None:
    index, _ = _small_index()
    audience = Audience.of(Principal(TENANT, "u1", frozenset({"g1"})))
    query_vector = _vectors(1, 1)[0]
    everything = {h.chunk.chunk_id for h in index.search("hotel", query_vector, audience=audience, k=10)}
    assert "c0" in everything
    without = index.search("hotel", query_vector, audience=audience, k=10, exclude=frozenset({("drive", "item0")}))
    assert {h.chunk.chunk_id for h in without} == everything - {"c0"}
    unknown = index.search("hotel", query_vector, audience=audience, k=10, exclude=frozenset({("drive", "nope")}))
    assert {h.chunk.chunk_id for h in unknown} == everything


def test_no_rows_for_an_outsider_or_k_zero() -> None:
    index, _ = _small_index()
    outsider = Audience.of(Principal("other-tenant", "u9"))
    assert index.permitted_rows(outsider).size == 0
    assert index.search("hotel", _vectors(1, 1)[0], audience=outsider, k=5) == []
    insider = Audience.of(Principal(TENANT, "u1"))
    assert index.search("hotel", _vectors(1, 1)[0], audience=insider, k=0) == []


def test_empty_index() -> None:
    audience = Audience.of(Principal(TENANT, "u1"))
    for vectors in (np.zeros((0, DIM), dtype=np.float32), np.zeros((0,), dtype=np.float32)):
        index = HybridIndex([], vectors, "test")
        assert len(index) == 0 and index.document_count == 0
        assert index.permitted_rows(audience).size == 0
        for mode in ("hybrid", "dense", "lexical"):
            assert index.search("hotel", np.ones(DIM, np.float32), audience=audience, mode=mode) == []


def test_chunk_vector_count_mismatch() -> None:
    with pytest.raises(ValueError):
        HybridIndex([_chunk(0, "x", frozenset({"user:u1"}))], _vectors(2, 0), "test")


def test_document_count_counts_documents_not_chunks() -> None:
    acl = frozenset({"user:u1"})
    chunks = [_chunk(0, "a", acl, doc=1), _chunk(1, "b", acl, doc=1), _chunk(2, "c", acl, doc=2)]
    assert HybridIndex(chunks, _vectors(3, 0), "test").document_count == 2


def test_relevance_gate() -> None:
    chunk = _chunk(0, "x", frozenset())
    gate = RelevanceGate(min_dense=0.8, min_lexical=1.0)
    assert gate.passes(Hit(chunk, 0.1, dense_score=0.8, lexical_score=0.0))
    assert gate.passes(Hit(chunk, 0.1, dense_score=0.1, lexical_score=1.0))
    assert not gate.passes(Hit(chunk, 0.1, dense_score=0.79, lexical_score=0.99))
    assert not gate.passes(Hit(chunk, 0.1))


# --- snapshots -------------------------------------------------------------------------------


def _corpus(n: int = 3, seed: int = 0) -> tuple[list[Chunk], np.ndarray]:
    chunks = [
        Chunk(
            chunk_id=f"id{i}",
            doc=DocumentRef(
                f"item{i % 2}", "drive", "site", f"Tïtle {i}", f"https://x/{i}", f"n{i}.pdf", f"p/n{i}.pdf", f"ctag{i}"
            ),
            position=i,
            headings=("Ä", f"h{i}"),
            text=f"text {i} with ümlauts",
            acl=frozenset({f"user:u{i}", "group:g"}),
        )
        for i in range(n)
    ]
    return chunks, _vectors(n, seed)


def test_snapshot_round_trip_and_current(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SnapshotStore(tmp_path / "index")
    assert store.current_id() is None
    with pytest.raises(FileNotFoundError):
        store.load()
    chunks, vectors = _corpus()
    snapshot_id = store.write(chunks, vectors, "emb-a")
    assert store.current_id() == snapshot_id
    assert (tmp_path / "index" / "CURRENT").read_text().strip() == snapshot_id
    loaded_chunks, loaded_vectors, meta = store.load()
    assert loaded_chunks == chunks
    assert loaded_vectors.dtype == np.float32
    np.testing.assert_array_equal(loaded_vectors, vectors)
    assert meta["id"] == snapshot_id and meta["embedder"] == "emb-a"
    assert meta["chunks"] == 3 and meta["documents"] == 2
    loaded_id, index = store.load_index()
    assert loaded_id == snapshot_id and index.embedder_name == "emb-a" and len(index) == 3
    assert not [p for p in (tmp_path / "index").rglob(".*")], "no temporary files are left"

    second = store.write(chunks[:1], vectors[:1], "emb-a")
    assert second != snapshot_id and store.current_id() == second
    assert len(store.load()[0]) == 1
    assert len(store.load(snapshot_id)[0]) == 3  # the old one stays loadable


def test_snapshot_write_rejects_mismatched_lengths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    chunks, vectors = _corpus()
    with pytest.raises(ValueError):
        SnapshotStore(tmp_path).write(chunks, vectors[:2], "emb")
    assert SnapshotStore(tmp_path).current_id() is None


def test_snapshot_jsonl_is_one_object_per_chunk(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SnapshotStore(tmp_path)
    chunks, vectors = _corpus()
    snapshot_id = store.write(chunks, vectors, "emb")
    (segment,) = store.generation(snapshot_id)["segments"]
    lines = (tmp_path / "segments" / segment["id"] / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["chunk_id"] for line in lines] == ["id0", "id1", "id2"]
    assert "ümlauts" in lines[0]


def _sequential_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make snapshot ids increase one second per write (the real ones have one-second resolution)."""
    clock = iter(range(10**6))
    monkeypatch.setattr(snapshots.time, "strftime", lambda fmt: f"20260101T{next(clock):06d}")


def test_pruning_keeps_the_newest_three(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _sequential_ids(monkeypatch)
    store = SnapshotStore(tmp_path)
    chunks, vectors = _corpus()
    ids = [store.write(chunks, vectors, "emb") for _ in range(6)]
    remaining = sorted(p.stem for p in store.generations_dir.iterdir())
    assert KEEP_SNAPSHOTS == 3
    assert remaining == ids[-3:]
    segments = {s["id"] for i in ids[-3:] for s in store.generation(i)["segments"]}
    assert {p.name for p in store.segments_dir.iterdir()} == segments
    assert store.current_id() == ids[-1]


def test_pruning_within_one_second_keeps_the_newest(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(snapshots.time, "strftime", lambda fmt: "20260101T000000")
    suffixes = iter([c * 32 for c in "fedcba9876"])  # a segment and a generation per write

    class _Uuid:
        def __init__(self) -> None:
            self.hex = next(suffixes)

    monkeypatch.setattr(snapshots.uuid, "uuid4", _Uuid)
    store = SnapshotStore(tmp_path)
    chunks, vectors = _corpus()
    ids = [store.write(chunks, vectors, "emb") for _ in range(5)]
    assert set(p.stem for p in store.generations_dir.iterdir()) == set(ids[-3:])


def test_live_index_swaps_only_when_current_changes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _sequential_ids(monkeypatch)
    store = SnapshotStore(tmp_path)
    live = LiveIndex(store, "emb-a")
    assert live.refresh() is False and live.index is None and live.snapshot_id is None

    chunks, vectors = _corpus()
    first = store.write(chunks, vectors, "emb-a")
    assert live.refresh() is True
    assert live.snapshot_id == first
    first_index = live.index
    assert first_index is not None and len(first_index) == 3
    assert live.refresh() is False
    assert live.index is first_index

    second = store.write(chunks[:2], vectors[:2], "emb-a")
    assert live.refresh() is True
    assert live.snapshot_id == second and live.index is not first_index and len(live.index) == 2
    assert live.refresh() is False


def test_live_index_refuses_another_embedder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _sequential_ids(monkeypatch)
    store = SnapshotStore(tmp_path)
    live = LiveIndex(store, "emb-a")
    chunks, vectors = _corpus()
    good = store.write(chunks, vectors, "emb-a")
    assert live.refresh()
    kept = live.index
    store.write(chunks, vectors, "emb-b")
    with pytest.raises(RuntimeError, match="emb-b"):
        live.refresh()
    assert live.snapshot_id == good and live.index is kept  # keeps serving the old one
