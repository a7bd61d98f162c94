"""Chunks read from their memory-mapped JSON lines: the same chunks, the same search, less memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from access import Audience, Principal
from retrieval import chunk_table
from retrieval.chunk_table import ChunkTable, chunk_line, write_chunk_lines
from retrieval.index import HybridIndex, Segment
from retrieval.rowfilter import RowFilter
from retrieval.snapshots import SnapshotStore
from retrieval.types import Chunk, DocumentRef

TENANT = "t1"


def _chunks(n: int) -> list[Chunk]:
    out = []
    for i in range(n):
        doc = i // 3
        ref = DocumentRef(
            f"item{doc}", f"drive{doc % 2}", f"site{doc % 3}", f"Dok {doc} – Übersicht", f"https://x/{doc}"
        )
        acl = frozenset() if doc == 4 else frozenset({f"tenant:{TENANT}"} if doc % 2 else {f"group:g{doc % 3}"})
        out.append(
            Chunk(f"c{i}", ref, i % 3, ("Reisen", "Hotel ✓"), f"Hotel {i} kostet {i * 10} Euro\nzweite Zeile", acl)
        )
    return out


def _vectors(n: int) -> np.ndarray:
    vectors = np.random.default_rng(7).normal(size=(n, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _table(tmp_path: Path, chunks: list[Chunk]) -> ChunkTable:
    write_chunk_lines(tmp_path / "chunks.jsonl", (chunk_line(c) for c in chunks))
    return ChunkTable.open(tmp_path / "chunks.jsonl")


def test_a_table_reads_back_every_chunk_as_written(tmp_path: Path) -> None:
    chunks = _chunks(20)
    table = _table(tmp_path, chunks)
    assert len(table) == 20
    assert list(table) == chunks
    assert table[0] == chunks[0] and table[-1] == chunks[-1] and table[5:8] == chunks[5:8]
    with pytest.raises(IndexError):
        table[20]  # noqa: B018
    assert table.memory_bytes() == 21 * 8


def test_blank_lines_a_missing_last_newline_and_an_empty_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunk_table, "SCAN_BLOCK", 64)  # line ends found across scan blocks
    chunks = _chunks(6)
    lines = [chunk_line(c) for c in chunks]
    (tmp_path / "a.jsonl").write_bytes(b"\n" + lines[0] + b"\n\n" + b"".join(lines[1:5]) + lines[5].rstrip(b"\n"))
    table = ChunkTable.open(tmp_path / "a.jsonl")
    assert list(table) == chunks
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert len(ChunkTable.open(tmp_path / "empty.jsonl")) == 0 and list(ChunkTable.open(tmp_path / "empty.jsonl")) == []


def test_a_segment_over_a_table_searches_like_one_over_the_list(tmp_path: Path) -> None:
    chunks, vectors = _chunks(30), _vectors(30)
    from_list = HybridIndex(chunks, vectors, "e")
    from_table = HybridIndex.from_segments([(Segment(_table(tmp_path, chunks), vectors), None)], "e")
    for groups in (frozenset(), frozenset({"g0"}), frozenset({"g1", "g2"})):
        audience = Audience.of(Principal(TENANT, "u", groups))
        for mode in ("hybrid", "dense", "lexical"):
            want = from_list.search("Hotel 12 Euro", vectors[12], audience=audience, k=5, mode=mode)
            got = from_table.search("Hotel 12 Euro", vectors[12], audience=audience, k=5, mode=mode)
            assert got == want
        assert np.array_equal(from_table.permitted_rows(audience), from_list.permitted_rows(audience))
    # the empty ACL of document 4 is readable by nobody, from a table as from a list
    everyone = Audience.of(Principal(TENANT, "u", frozenset({"g0", "g1", "g2"})))
    assert not {12, 13, 14} & set(from_table.permitted_rows(everyone).tolist())
    assert from_table.document_count == from_list.document_count == 10


def test_row_filter_finds_the_rows_of_each_document_across_drives() -> None:
    chunks = _chunks(12)
    rows = RowFilter.of(chunks)
    assert rows.doc_rows(("drive0", "item0")).tolist() == [0, 1, 2]
    assert rows.doc_rows(("drive1", "item3")).tolist() == [9, 10, 11]
    assert rows.doc_rows(("drive1", "item0")).size == 0 and rows.doc_rows(("nodrive", "x")).size == 0
    assert sorted(rows.documents) == sorted({(c.doc.drive_id, c.doc.item_id) for c in chunks})


def test_a_loaded_segment_is_a_table_and_the_whole_load_still_lists_chunks(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "index")
    chunks, vectors = _chunks(9), _vectors(9)
    store.write(chunks, vectors, "e")
    segment_id = store.generation()["segments"][0]["id"]
    table, loaded_vectors = store.load_segment(segment_id)
    assert isinstance(table, ChunkTable) and list(table) == chunks
    assert np.array_equal(loaded_vectors, vectors)
    assert store.load()[0] == chunks


def test_document_chunks_reads_one_documents_live_rows_across_segments(tmp_path: Path) -> None:
    old, vectors = _chunks(9), _vectors(9)  # documents 0, 1, 2 with three chunks each
    replaced = [Chunk("new", old[3].doc, 0, (), "neu", old[3].acl)]
    first = Segment(_table(tmp_path, old), vectors)
    second = Segment(replaced, _vectors(1))
    index = HybridIndex.from_segments([(first, first.alive_mask([("drive1", "item1")])), (second, None)], "e")
    assert index.document_chunks(("drive0", "item0")) == old[0:3]
    assert index.document_chunks(("drive1", "item1")) == replaced, "the tombstoned rows are not read"
    assert index.document_chunks(("drive0", "nothing")) == []
