"""The scale path of the index: ANN with the filter inside, segments with tombstones, sites, merges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access import Audience, Principal
from retrieval.dense import DensePlan, DenseSegment
from retrieval.index import HybridIndex, Segment
from retrieval.live_index import LiveIndex
from retrieval.snapshots import SnapshotStore
from retrieval.types import Chunk, DocumentRef

DIM = 8
TENANT = "t1"
KEYS = ["user:u1", "user:u2", "group:g1", "group:g2", "group:g3", f"tenant:{TENANT}", "tenant:t2"]
VOCAB = ["hotel", "reise", "urlaub", "budget", "server", "policy", "kantine", "deploy"]
SITES = ["s1", "s2"]
ANN = DensePlan(exact_max_rows=0, scan_max_rows=0, ann_min_rows=1, list_size=3, probes=1, train_rows=10_000)
"""Every search probes the inverted lists, as few as possible at first."""
SCAN = DensePlan(exact_max_rows=0, scan_max_rows=10**9, ann_min_rows=1, list_size=3, train_rows=10_000)
"""Every search scores the codes of all permitted rows."""


def _vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _chunk(n: int, words: list[str], acl: frozenset[str], doc: int, site: str) -> Chunk:
    ref = DocumentRef(f"item{doc}", "drive", site, f"Doc {doc}", f"https://x/{doc}")
    return Chunk(f"c{n}", ref, n, (), " ".join(words), acl)


principals = st.builds(
    lambda user, groups, tenant: Principal(tenant_id=tenant, user_id=user, group_ids=frozenset(groups)),
    st.sampled_from(["u1", "u2", "u3"]),
    st.frozensets(st.sampled_from(["g1", "g2", "g3"])),
    st.sampled_from([TENANT, "t2"]),
)
specs = st.lists(
    st.tuples(
        st.frozensets(st.sampled_from(KEYS), max_size=3),
        st.lists(st.sampled_from(VOCAB), min_size=1, max_size=5),
        st.integers(0, 11),  # document
        st.integers(0, 2),  # segment
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=specs,
    members=st.lists(principals, min_size=1, max_size=3),
    dead=st.frozensets(st.integers(0, 11)),
    site=st.sampled_from([None, *SITES]),
    query=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3),
    k=st.integers(1, 25),
    seed=st.integers(0, 2**16),
)
def test_every_hit_is_readable_alive_and_in_the_site_in_every_mode(
    specs: list[tuple[frozenset[str], list[str], int, int]],
    members: list[Principal],
    dead: frozenset[int],
    site: str | None,
    query: list[str],
    k: int,
    seed: int,
) -> None:
    """Exact and ANN plans, one to three segments, tombstoned documents in all but the newest."""
    audience = Audience(tuple(members))
    vectors = _vectors(len(specs), seed)
    query_vector = _vectors(1, seed + 1)[0]
    rows_by_segment: list[list[int]] = [[], [], []]
    for row, (_, _, _, segment) in enumerate(specs):
        rows_by_segment[segment].append(row)
    used = [rows for rows in rows_by_segment if rows]
    for plan in (DensePlan(), ANN, SCAN):
        parts = []
        live: set[int] = set()
        for position, rows in enumerate(used):
            chunks = [_chunk(r, specs[r][1], specs[r][0], specs[r][2], SITES[specs[r][2] % 2]) for r in rows]
            segment = Segment(chunks, vectors[rows], plan=plan)
            newest = position == len(used) - 1
            dead_here = () if newest else [("drive", f"item{d}") for d in dead]
            parts.append((segment, segment.alive_mask(dead_here)))
            live.update(r for r in rows if newest or specs[r][2] not in dead)
        index = HybridIndex.from_segments(parts, "test")
        expected = {
            r
            for r in live
            if specs[r][0]
            and all(not m.acl_keys.isdisjoint(specs[r][0]) for m in members)
            and (site is None or SITES[specs[r][2] % 2] == site)
        }
        for mode in ("hybrid", "dense", "lexical"):
            hits = index.search(" ".join(query), query_vector, audience=audience, k=k, mode=mode, site=site)
            rows = [int(h.chunk.chunk_id[1:]) for h in hits]
            assert len(rows) == len(set(rows)) <= k
            assert set(rows) <= expected
            for hit in hits:
                assert hit.chunk.acl and audience.can_read(hit.chunk.acl)
                assert site is None or hit.chunk.doc.site_id == site
            if mode != "lexical":
                assert len(hits) == min(k, len(expected)), "never fewer than k permitted hits when k exist"
            if mode == "dense" and plan is not ANN and expected:  # exact, or every candidate re-ranked
                sims = sorted((float(vectors[r] @ query_vector) for r in expected), reverse=True)
                assert pytest.approx(sorted((h.score for h in hits), reverse=True), abs=1e-6) == sims[: len(hits)]


def test_ann_widens_its_probe_until_k_permitted_hits_are_found() -> None:
    """A sparse permitted set that the first probed lists barely touch still yields k hits."""
    vectors = _vectors(6000, 3)
    dense = DenseSegment(
        vectors, DensePlan(exact_max_rows=10, scan_max_rows=50, ann_min_rows=1000, list_size=50, probes=1)
    )
    assert dense.has_ann and dense.nlist == 120 and dense.plan_for(90) == "probe"
    rng = np.random.default_rng(4)
    permitted = np.zeros(6000, dtype=bool)
    permitted[rng.choice(6000, size=90, replace=False)] = True
    assert dense.probes_for(90) < dense.nlist  # the plan starts with a partial probe
    for query in _vectors(40, 5):
        hits = dense.search(query, permitted, 90, 40)
        assert len(hits) == 40
        assert all(permitted[row] for row, _ in hits)
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)
        assert scores == pytest.approx([float(vectors[r] @ query) for r, _ in hits], abs=1e-5)  # re-ranked exactly


def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    vectors = centres[rng.integers(0, 40, size=n)] + rng.normal(scale=0.3, size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("share", [0.005, 0.05, 0.3])
def test_scan_over_codes_returns_the_exact_top_k_of_the_permitted_rows(share: float) -> None:
    """Scoring every permitted row's code, then re-ranking from float32, equals brute force."""
    vectors = _clustered(8000, 32, 1)
    dense = DenseSegment(vectors, DensePlan(exact_max_rows=5, scan_max_rows=8000, ann_min_rows=1000, list_size=100))
    rng = np.random.default_rng(2)
    permitted = rng.random(8000) < share
    rows = np.flatnonzero(permitted)
    assert dense.plan_for(rows.size) == "scan"
    for query in _clustered(30, 32, 3):
        hits = dense.search(query, permitted, rows.size, 10)
        assert len(hits) == min(10, rows.size)
        assert all(permitted[row] for row, _ in hits)
        exact = vectors[rows] @ query
        assert [r for r, _ in hits] == rows[np.lexsort((rows, -exact))][:10].tolist()
        assert [s for _, s in hits] == pytest.approx(sorted(exact, reverse=True)[:10], abs=1e-5)


def test_code_scores_approximate_the_exact_scores() -> None:
    vectors = _clustered(5000, 32, 4)
    dense = DenseSegment(vectors, DensePlan(ann_min_rows=1000, list_size=100))
    assert dense._lists is not None
    rows = np.arange(0, 5000, 3)
    for query in _clustered(10, 32, 5):
        assert np.abs(dense._lists.scores(rows, query) - vectors[rows] @ query).max() < 0.01


def test_each_list_holds_its_rows_once() -> None:
    dense = DenseSegment(_clustered(5000, 32, 6), DensePlan(ann_min_rows=1000, list_size=100))
    lists = dense._lists
    assert lists is not None and lists.nlist == 50
    assert sorted(lists.order.tolist()) == list(range(5000))
    assert lists.offsets[0] == 0 and lists.offsets[-1] == 5000 and np.all(np.diff(lists.offsets) >= 0)
    query = _clustered(1, 32, 7)[0]
    probed = lists.probed_rows(query, 5)
    assert probed.size == len(set(probed.tolist()))
    nearest = set(np.argsort(-(lists.centroids @ query))[:5].tolist())
    expected = {int(r) for lst in nearest for r in lists.order[lists.offsets[lst] : lists.offsets[lst + 1]]}
    assert set(probed.tolist()) == expected


def test_ann_recall_on_clustered_vectors_is_high() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, DIM))
    vectors = centres[rng.integers(0, 40, size=8000)] + rng.normal(scale=0.3, size=(8000, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    dense = DenseSegment(
        vectors, DensePlan(exact_max_rows=100, scan_max_rows=100, ann_min_rows=1000, list_size=100, probes=8)
    )
    permitted = rng.random(8000) < 0.5
    rows = np.flatnonzero(permitted)
    found = 0
    for query in vectors[rng.integers(0, 8000, size=30)]:
        truth = set(rows[np.argsort(-(vectors[rows] @ query))[:10]].tolist())
        found += len(truth & {r for r, _ in dense.search(query, permitted, rows.size, 10)})
    assert found / 300 >= 0.97


def test_many_lists_are_trained_two_level_and_assigned_through_a_graph_with_high_recall() -> None:
    """The path of a 10M-chunk segment (26,000 lists), at a small scale: two-level k-means and
    HNSW assignment still put every row in one list, and probing still finds the true neighbours."""
    vectors = _clustered(8000, 32, 8)
    plan = DensePlan(
        exact_max_rows=100, scan_max_rows=100, ann_min_rows=1000, list_size=50, probes=8, two_level_lists=64
    )
    dense = DenseSegment(vectors, plan)
    lists = dense._lists
    assert lists is not None and lists.nlist == 160 > plan.two_level_lists
    assert sorted(lists.order.tolist()) == list(range(8000))
    assert np.allclose(np.linalg.norm(lists.centroids, axis=1), 1, atol=1e-4)
    sizes = np.diff(lists.offsets)
    assert np.count_nonzero(sizes) > 0.8 * lists.nlist  # the rows spread over the lists
    rng = np.random.default_rng(9)
    permitted = rng.random(8000) < 0.5
    rows = np.flatnonzero(permitted)
    found = 0
    for query in vectors[rng.integers(0, 8000, size=30)]:
        hits = dense.search(query, permitted, rows.size, 10)
        assert len(hits) == 10 and all(permitted[r] for r, _ in hits)
        truth = set(rows[np.argsort(-(vectors[rows] @ query))[:10]].tolist())
        found += len(truth & {r for r, _ in hits})
    assert found / 300 >= 0.95


def test_site_restriction_still_returns_k_hits_from_that_site() -> None:
    chunks = [_chunk(i, ["hotel"], frozenset({f"tenant:{TENANT}"}), i, SITES[i % 2]) for i in range(60)]
    index = HybridIndex(chunks, _vectors(60, 1), "test", plan=ANN)
    audience = Audience.of(Principal(TENANT, "u1"))
    for mode in ("hybrid", "dense", "lexical"):
        hits = index.search("hotel", _vectors(1, 2)[0], audience=audience, k=10, mode=mode, site="s2")
        assert len(hits) == 10 and {h.chunk.doc.site_id for h in hits} == {"s2"}
    assert index.search("hotel", _vectors(1, 2)[0], audience=audience, k=10, site="elsewhere") == []


def _docs(items: dict[str, str], acl: str = f"tenant:{TENANT}") -> list[Chunk]:
    return [
        Chunk(f"{item}-{n}", DocumentRef(item, "drive", "s1", item, f"https://x/{item}"), n, (), text, frozenset({acl}))
        for item, text in items.items()
        for n in range(2)
    ]


def test_incremental_segment_with_tombstones_and_live_reload_of_new_segments_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SnapshotStore(tmp_path)
    base = _docs({"a": "alpha hotel", "b": "beta hotel", "c": "gamma hotel"})
    store.write(base, _vectors(len(base), 0), "emb")
    live = LiveIndex(store, "emb")
    assert live.refresh()
    first_segments = {s.segment_id: s for s, _ in live.index.parts} if live.index else {}

    changed = _docs({"b": "beta hotel revised"})
    store.write_segment(changed, _vectors(len(changed), 1), "emb", removed=[("drive", "b"), ("drive", "c")])
    record = store.generation()
    assert len(record["segments"]) == 2
    assert sorted(map(tuple, record["segments"][0]["dead"])) == [("drive", "b"), ("drive", "c")]
    chunks, vectors, meta = store.load()
    assert sorted(c.chunk_id for c in chunks) == ["a-0", "a-1", "b-0", "b-1"]
    assert {c.text for c in chunks if c.doc.item_id == "b"} == {"beta hotel revised"}
    assert meta["chunks"] == 4 and len(vectors) == 4

    assert live.refresh()
    assert live.index is not None and len(live.index) == 4
    reused = [s for s, _ in live.index.parts if s.segment_id in first_segments]
    assert reused and all(s is first_segments[s.segment_id] for s in reused), "old segments are not reloaded"
    audience = Audience.of(Principal(TENANT, "u1"))
    hits = live.index.search("hotel", _vectors(1, 9)[0], audience=audience, k=10)
    assert sorted(h.chunk.chunk_id for h in hits) == ["a-0", "a-1", "b-0", "b-1"]
    assert {h.chunk.text for h in hits if h.chunk.doc.item_id == "b"} == {"beta hotel revised"}

    only_deletion = store.write_segment([], np.zeros((0, DIM), np.float32), "emb", removed=[("drive", "a")])
    assert len(store.generation(only_deletion)["segments"]) == 2
    assert sorted(c.chunk_id for c in store.load()[0]) == ["b-0", "b-1"]


def test_merge_keeps_the_live_rows_and_a_segment_appended_meanwhile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class AppendsDuringMerge(SnapshotStore):
        appended = False

        def load_segment(self, segment_id):  # type: ignore[no-untyped-def]
            result = super().load_segment(segment_id)
            if not self.appended:
                self.appended = True
                late = _docs({"late": "late hotel"})
                self.write_segment(late, _vectors(2, 7), "emb", removed=[("drive", "a")])
            return result

    store = AppendsDuringMerge(tmp_path)
    store.appended = True
    base = _docs({"a": "alpha", "b": "beta"})
    store.write(base, _vectors(4, 0), "emb")
    store.write_segment(_docs({"b": "beta 2"}), _vectors(2, 1), "emb", removed=[])
    store.write_segment(_docs({"c": "gamma"}), _vectors(2, 2), "emb", removed=[])
    before = sorted((c.chunk_id, c.text) for c in store.load()[0])
    store.appended = False
    merged = store.merge()
    assert merged is not None
    record = store.generation()
    assert len(record["segments"]) == 2, "the merged segment and the one appended meanwhile"
    # tombstones from the segment appended meanwhile (a deleted; late's own key, harmless) carry over
    assert {tuple(k) for k in record["segments"][0]["dead"]} == {("drive", "a"), ("drive", "late")}
    after = sorted((c.chunk_id, c.text) for c in store.load()[0])
    expected = sorted(
        [x for x in before if not x[0].startswith("a-")] + [("late-0", "late hotel"), ("late-1", "late hotel")]
    )
    assert after == expected
    assert store.merge() is not None and len(store.generation()["segments"]) == 1
    assert sorted((c.chunk_id, c.text) for c in store.load()[0]) == expected
    assert store.merge() is None  # one clean segment: nothing to do


class CommitsBetween(SnapshotStore):
    """Runs ``between`` once, right after the next segment is renamed into place and before the
    generation that lists it is committed: where the sync's background merge and the sync's
    next checkpoint interleave."""

    between = None

    def _new_segment(self, write, embedder_name):  # type: ignore[no-untyped-def]
        segment_id = super()._new_segment(write, embedder_name)
        step, self.between = self.between, None
        if step is not None:
            step()
        return segment_id


def _texts(store: SnapshotStore) -> list[tuple[str, str]]:
    return sorted((c.chunk_id, c.text) for c in store.load()[0])


def test_a_merge_committed_while_a_segment_is_written_does_not_prune_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = CommitsBetween(tmp_path)
    store.write(_docs({"a": "alpha", "b": "beta"}), _vectors(4, 0), "emb")
    store.write_segment(_docs({"b": "beta 2"}), _vectors(2, 1), "emb", removed=[])
    merged: list[str | None] = []
    store.between = lambda: merged.append(store.merge())
    store.write_segment(_docs({"c": "gamma"}), _vectors(2, 2), "emb", removed=[])
    assert merged and merged[0] is not None, "the merge committed in between"
    assert _texts(store) == [("a-0", "alpha"), ("a-1", "alpha"), ("b-0", "beta 2"), ("b-1", "beta 2")] + [
        ("c-0", "gamma"),
        ("c-1", "gamma"),
    ]
    listed = {s["id"] for s in store.generation()["segments"]}
    assert listed <= {p.name for p in (tmp_path / "segments").iterdir()}


def test_a_segment_committed_while_a_merge_is_written_does_not_prune_the_merge(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = CommitsBetween(tmp_path)
    store.write(_docs({"a": "alpha", "b": "beta"}), _vectors(4, 0), "emb")
    store.write_segment(_docs({"b": "beta 2"}), _vectors(2, 1), "emb", removed=[])
    store.between = lambda: store.write_segment(_docs({"c": "gamma"}), _vectors(2, 2), "emb", removed=[("drive", "a")])
    assert store.merge() is not None
    assert len(store.generation()["segments"]) == 2, "the merged segment and the one committed meanwhile"
    assert _texts(store) == [("b-0", "beta 2"), ("b-1", "beta 2"), ("c-0", "gamma"), ("c-1", "gamma")]
    # once listed, the segments are pruned like any other: the next generations drop the old ones
    for n in range(4):
        store.write_segment(_docs({"d": f"delta {n}"}), _vectors(2, 3 + n), "emb", removed=[])
    assert store._unpublished == set()
    kept = {
        s["id"]
        for name in sorted(p.stem for p in (tmp_path / "generations").iterdir())
        for s in store.generation(name)["segments"]
    }
    assert {p.name for p in (tmp_path / "segments").iterdir()} == kept
