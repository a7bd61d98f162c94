"""A segment's chunks as the lines of its ``chunks.jsonl``, memory-mapped, parsed only when read.

A served segment needs a chunk's text, document and ACL only for the few hits of a query; the
permitted-row filter and BM25 are built once from a pass over the lines and keep their own arrays.
Holding every chunk as Python objects cost about 0.8 GB per million chunks (10M would not fit a
24 GiB machine next to the index); a ``ChunkTable`` costs 8 bytes per chunk (its line offset) and
the file's pages, which the kernel may drop and read again like the memory-mapped vectors.
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, overload

import numpy as np

from retrieval.types import Chunk, DocumentRef

SCAN_BLOCK = 1 << 26
"""Bytes searched for line ends at a time when a table is opened."""


def chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc": asdict(chunk.doc),
        "position": chunk.position,
        "headings": list(chunk.headings),
        "text": chunk.text,
        "acl": sorted(chunk.acl),
    }


def chunk_from_json(data: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=data["chunk_id"],
        doc=DocumentRef(**data["doc"]),
        position=int(data["position"]),
        headings=tuple(data["headings"]),
        text=data["text"],
        acl=frozenset(data["acl"]),
    )


def chunk_line(chunk: Chunk) -> bytes:
    """One line of ``chunks.jsonl`` (UTF-8, newline included)."""
    return (json.dumps(chunk_to_json(chunk), ensure_ascii=False) + "\n").encode("utf-8")


def write_chunk_lines(path: Path, lines: Iterable[bytes]) -> int:
    """Write ``lines`` to ``path`` and fsync it. Returns the number of lines."""
    count = 0
    with open(path, "wb", buffering=1 << 20) as fh:
        for line in lines:
            fh.write(line)
            count += 1
        fh.flush()
        os.fsync(fh.fileno())
    return count


class ChunkTable(Sequence[Chunk]):
    """Read-only chunks over the bytes of a ``chunks.jsonl`` (one JSON object per line)."""

    def __init__(self, buffer: bytes | mmap.mmap, starts: np.ndarray) -> None:
        self._buffer = buffer
        self._starts = starts
        """Offset of every line's first byte, plus one past the last line's end."""

    @classmethod
    def open(cls, path: Path) -> ChunkTable:
        """The lines of ``path``, memory-mapped (blank lines are skipped)."""
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                return cls(b"", np.zeros(1, dtype=np.int64))
            buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        ends = [np.zeros(1, dtype=np.int64)]
        for start in range(0, size, SCAN_BLOCK):
            block = np.frombuffer(buffer, dtype=np.uint8, count=min(SCAN_BLOCK, size - start), offset=start)
            ends.append(np.flatnonzero(block == 0x0A).astype(np.int64) + start + 1)
        bounds = np.concatenate(ends)
        if bounds[-1] != size:  # a last line without a newline
            bounds = np.append(bounds, size)
        keep = np.flatnonzero(np.diff(bounds) > 1)  # a line longer than its newline
        return cls(buffer, _line_starts(bounds, keep))

    def __len__(self) -> int:
        return int(self._starts.size) - 1 if self._starts.size else 0

    def line(self, row: int) -> bytes:
        """The raw line of ``row`` (its newline, and any blank lines after it, included)."""
        return bytes(self._buffer[int(self._starts[row]) : int(self._starts[row + 1])])

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return chunk_from_json(json.loads(self.line(row)))

    def __iter__(self) -> Iterator[Chunk]:
        for row in range(len(self)):
            yield self[row]

    def memory_bytes(self) -> int:
        """Bytes held outside the memory map: the line offsets."""
        return int(self._starts.nbytes)


def _line_starts(bounds: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Starts of the kept lines (``bounds[i]`` to ``bounds[i + 1]`` is line i), then the end of
    the last kept line, so that ``starts[r + 1]`` bounds row ``r``."""
    if keep.size == 0:
        return np.zeros(1, dtype=np.int64)
    return np.append(bounds[keep], bounds[keep[-1] + 1]).astype(np.int64)


def as_chunks(chunks: Iterable[Chunk]) -> Sequence[Chunk]:
    """A table stays a table (its rows are read on demand); anything else becomes a list."""
    return chunks if isinstance(chunks, ChunkTable) else list(chunks)
