"""Which rows of one segment an audience may read: per-key posting lists and bitmaps.

The permitted set is computed *before* any ranking, as a boolean mask over the segment's rows.
A key held by many rows (the tenant, a large group) keeps a packed bitmap, so a reader of most
documents costs a few vector ORs instead of a scatter of hundreds of thousands of rows (the
"partition per frequent ACL key" of issue 11); rarer keys keep a sorted row list. A row whose ACL is
empty is in no list and no bitmap, so no audience ever gets it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from access import Audience
from retrieval.types import Chunk

DENSE_KEY_SHARE = 1 / 64
"""A key on at least this share of the rows (and 4096 rows) keeps a packed bitmap."""

DocKey = tuple[str, str]


class RowFilter:
    """Posting lists of ACL keys, sites and documents over ``len(chunks)`` rows."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.size = len(chunks)
        postings: dict[str, list[int]] = defaultdict(list)
        sites: dict[str, list[int]] = defaultdict(list)
        docs: dict[DocKey, list[int]] = defaultdict(list)
        for row, chunk in enumerate(chunks):
            for key in chunk.acl:
                postings[key].append(row)
            sites[chunk.doc.site_id].append(row)
            docs[(chunk.doc.drive_id, chunk.doc.item_id)].append(row)
        threshold = max(4096, int(self.size * DENSE_KEY_SHARE))
        self._rows: dict[str, np.ndarray] = {}
        self._bitmaps: dict[str, np.ndarray] = {}
        for key, rows in postings.items():
            array = np.asarray(rows, dtype=np.int32)
            if array.size >= threshold:
                mask = np.zeros(self.size, dtype=bool)
                mask[array] = True
                self._bitmaps[key] = np.packbits(mask, bitorder="little")
            else:
                self._rows[key] = array
        self._sites = {k: np.asarray(v, dtype=np.int32) for k, v in sites.items()}
        self._docs = {k: np.asarray(v, dtype=np.int32) for k, v in docs.items()}

    @property
    def documents(self) -> Iterable[DocKey]:
        return self._docs.keys()

    def doc_rows(self, doc: DocKey) -> np.ndarray:
        return self._docs.get(doc, np.zeros(0, dtype=np.int32))

    def memory_bytes(self) -> int:
        arrays = [*self._rows.values(), *self._bitmaps.values(), *self._sites.values(), *self._docs.values()]
        return sum(a.nbytes for a in arrays)

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
            rows = self._docs.get(doc)
            if rows is not None:
                result[rows] = False
        if alive is not None:
            np.logical_and(result, alive, out=result)
        return result
