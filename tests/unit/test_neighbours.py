"""The chunks next to the retrieved ones: same document, permitted, never a hit twice."""

from __future__ import annotations

from access import Audience, Principal
from answering.neighbours import chunks_around
from retrieval.index import HybridIndex
from retrieval.types import Chunk, DocumentRef, Hit
from tests.fakes import FakeEmbedder
from tests.unit.answer_fixtures import doc

STAFF = frozenset({"group:staff"})
HR_ONLY = frozenset({"group:hr"})
ANNA = Audience.of(Principal("t", "anna", frozenset({"staff"})))
CANTEEN, OTHER = doc(1, "Kantine"), doc(2, "Reisekosten")


def _index(chunks: list[Chunk]) -> HybridIndex:
    embedder = FakeEmbedder()
    return HybridIndex(chunks, embedder.embed_passages([c.indexed_text for c in chunks]), embedder.name)


def _chunk(document: DocumentRef, position: int, acl: frozenset[str] = STAFF) -> Chunk:
    return Chunk(f"{document.item_id}-{position}", document, position, (), f"Text {position}.", acl)


def test_the_chunks_before_and_after_each_hit_rank_below_every_hit() -> None:
    chunks = [_chunk(CANTEEN, p) for p in range(5)] + [_chunk(OTHER, p) for p in range(3)]
    index = _index(chunks)
    hits = [Hit(chunks[1], 0.9), Hit(chunks[2], 0.8)]
    found = chunks_around(index, hits, ANNA)
    assert [(h.chunk.doc.item_id, h.chunk.position) for h in found] == [("item1", 0), ("item1", 3)]
    assert all(h.score < 0.8 for h in found) and found[0].score > found[1].score
    only_best = chunks_around(index, hits, ANNA, first=1)
    assert [h.chunk.position for h in only_best] == [0], "position 2 borders the best hit but is a hit itself"


def test_a_neighbour_the_audience_may_not_read_is_left_out() -> None:
    chunks = [_chunk(CANTEEN, 0, HR_ONLY), _chunk(CANTEEN, 1), _chunk(CANTEEN, 2, frozenset())]
    found = chunks_around(_index(chunks), [Hit(chunks[1], 0.9)], ANNA)
    assert found == [], "an HR-only chunk and one with an empty ACL (nobody) are not read"


def test_each_index_is_read_as_it_is_now() -> None:
    """Neighbours come from the index asked, not from an earlier snapshot's chunks."""
    first = [_chunk(CANTEEN, 0), _chunk(CANTEEN, 1)]
    assert len(chunks_around(_index(first), [Hit(first[0], 0.9)], ANNA)) == 1
    second = [_chunk(CANTEEN, 0)]
    assert chunks_around(_index(second), [Hit(second[0], 0.9)], ANNA) == []
    assert chunks_around(_index(second), [], ANNA) == []
