"""Which rows of one segment an audience may read: per-key posting lists and bitmaps.

The permitted set is computed *before* any ranking, as a boolean mask over the segment's rows.
A key held by many rows (the tenant, a large group) keeps a packed bitmap, so a reader of most
documents costs a few vector ORs instead of a scatter of hundreds of thousands of rows (the
"partition per frequent ACL key" of issue 11); rarer keys keep a sorted row list. A row whose ACL is
empty is in no list and no bitmap, so no audience ever gets it.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable

import numpy as np

from access import Audience
from retrieval.types import Chunk

DENSE_KEY_SHARE = 1 / 64
"""A key on at least this share of the rows (and 4096 rows) keeps a packed bitmap."""

DocKey = tuple[str, str]

_NO_ROWS = np.zeros(0, dtype=np.int32)


class RowFilterBuilder:
    """Collects the ACL keys, site and document of each row, in row order; ``build`` makes the
    filter. Rows are held as C arrays (4 bytes a key), not Python lists, so that a segment of
    millions of chunks can be indexed in one pass."""

    def __init__(self) -> None:
        self.size = 0
        self._key_ids: dict[str, int] = {}
        self._key_of_entry = array("i")
        self._row_of_entry = array("i")
        self._site_ids: dict[str, int] = {}
        self._site_of_row = array("i")
        self._doc_ids: dict[str, dict[str, int]] = {}
        """drive id -> item id -> document number"""
        self._documents = 0
        self._doc_of_row = array("i")

    def add(self, chunk: Chunk) -> None:
        row = self.size
        self.size += 1
        key_ids = self._key_ids
        for key in chunk.acl:
            self._key_of_entry.append(key_ids.setdefault(key, len(key_ids)))
            self._row_of_entry.append(row)
        self._site_of_row.append(self._site_ids.setdefault(chunk.doc.site_id, len(self._site_ids)))
        items = self._doc_ids.setdefault(chunk.doc.drive_id, {})
        doc = items.get(chunk.doc.item_id)
        if doc is None:
            doc = items[chunk.doc.item_id] = self._documents
            self._documents += 1
        self._doc_of_row.append(doc)

    def build(self) -> RowFilter:
        keys = np.frombuffer(self._key_of_entry, dtype=np.int32) if self._key_of_entry else _NO_ROWS
        rows = np.frombuffer(self._row_of_entry, dtype=np.int32) if self._row_of_entry else _NO_ROWS
        by_key = _group(keys, rows, len(self._key_ids))
        threshold = max(4096, int(self.size * DENSE_KEY_SHARE))
        key_rows: dict[str, np.ndarray] = {}
        bitmaps: dict[str, np.ndarray] = {}
        for key, number in self._key_ids.items():
            members = by_key(number)
            if members.size >= threshold:
                mask = np.zeros(self.size, dtype=bool)
                mask[members] = True
                bitmaps[key] = np.packbits(mask, bitorder="little")
            else:
                key_rows[key] = members
        all_rows = np.arange(self.size, dtype=np.int32)
        by_site = _group(
            np.frombuffer(self._site_of_row, dtype=np.int32) if self.size else _NO_ROWS, all_rows, len(self._site_ids)
        )
        sites = {site: by_site(number) for site, number in self._site_ids.items()}
        doc_of_row = np.frombuffer(self._doc_of_row, dtype=np.int32).copy() if self.size else _NO_ROWS
        order = np.argsort(doc_of_row, kind="stable").astype(np.int32)
        bounds = np.zeros(self._documents + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc_of_row, minlength=self._documents), out=bounds[1:])
        return RowFilter(self.size, key_rows, bitmaps, sites, self._doc_ids, order, bounds)


def _group(groups: np.ndarray, rows: np.ndarray, count: int):  # type: ignore[no-untyped-def]
    """A function from a group number to its rows (sorted), over one sort of all entries."""
    order = np.argsort(groups, kind="stable")
    sorted_rows = rows[order].astype(np.int32)
    bounds = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=count), out=bounds[1:])
    return lambda number: sorted_rows[bounds[number] : bounds[number + 1]]


class RowFilter:
    """Posting lists of ACL keys, sites and documents over the rows of one segment."""

    def __init__(
        self,
        size: int,
        rows: dict[str, np.ndarray],
        bitmaps: dict[str, np.ndarray],
        sites: dict[str, np.ndarray],
        doc_ids: dict[str, dict[str, int]],
        doc_order: np.ndarray,
        doc_bounds: np.ndarray,
    ) -> None:
        """Built by ``RowFilterBuilder`` (or ``RowFilter.of``)."""
        self.size = size
        self._rows = rows
        self._bitmaps = bitmaps
        self._sites = sites
        self._doc_ids = doc_ids
        self._doc_order = doc_order
        """Rows sorted by document; document d is ``_doc_order[_doc_bounds[d]:_doc_bounds[d + 1]]``."""
        self._doc_bounds = doc_bounds
        self._dict_bytes = sys.getsizeof(doc_ids) + sum(
            sys.getsizeof(items) + sum(sys.getsizeof(item) for item in items) for items in doc_ids.values()
        )

    @classmethod
    def of(cls, chunks: Iterable[Chunk]) -> RowFilter:
        builder = RowFilterBuilder()
        for chunk in chunks:
            builder.add(chunk)
        return builder.build()

    @property
    def documents(self) -> Iterable[DocKey]:
        return ((drive, item) for drive, items in self._doc_ids.items() for item in items)

    def doc_rows(self, doc: DocKey) -> np.ndarray:
        number = self._doc_ids.get(doc[0], {}).get(doc[1])
        if number is None:
            return _NO_ROWS
        return self._doc_order[self._doc_bounds[number] : self._doc_bounds[number + 1]]

    def memory_bytes(self) -> int:
        """The row arrays and bitmaps, and an estimate of the document dictionary."""
        arrays = [
            *self._rows.values(),
            *self._bitmaps.values(),
            *self._sites.values(),
            self._doc_order,
            self._doc_bounds,
        ]
        return sum(int(a.nbytes) for a in arrays) + self._dict_bytes

    def _member_mask(self, keys: Iterable[str]) -> np.ndarray:
        packed: np.ndarray | None = None
        mask = np.zeros(self.size, dtype=bool)
        for key in keys:
            bitmap = self._bitmaps.get(key)
            if bitmap is not None:
                packed = bitmap.copy() if packed is None else np.bitwise_or(packed, bitmap, out=packed)
            else:
                rows = self._rows.get(key)
                if rows is not None:
                    mask[rows] = True
        if packed is not None:
            mask |= np.unpackbits(packed, count=self.size, bitorder="little").view(bool)
        return mask

    def permitted(
        self,
        audience: Audience,
        *,
        site: str | None = None,
        exclude: Iterable[DocKey] = (),
        alive: np.ndarray | None = None,
    ) -> np.ndarray:
        """Boolean mask of the rows every member may read, in ``site`` (if given), not excluded,
        and alive (not tombstoned)."""
        result: np.ndarray | None = None
        for member in audience.members:
            mask = self._member_mask(member.acl_keys)
            result = mask if result is None else np.logical_and(result, mask, out=result)
            if not result.any():
                break
        assert result is not None  # an Audience has at least one member
        if site is not None:
            in_site = np.zeros(self.size, dtype=bool)
            rows = self._sites.get(site)
            if rows is not None:
                in_site[rows] = result[rows]
            result = in_site
        for doc in exclude:
            result[self.doc_rows(doc)] = False
        if alive is not None:
            np.logical_and(result, alive, out=result)
        return result
