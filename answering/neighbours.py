"""The chunks next to the retrieved ones, for the extractive answer.

A chunk ends where the chunker cut, not where the topic ends: the canteen's opening hours follow
the building's in the next chunk ("Öffnungszeiten des Gebäudes", then "Kantine Lindenhof"), and a
question about the canteen may retrieve only the first. The extract therefore also reads the
chunks right before and after the best retrieved one (``NEIGHBOURS_OF``), of the same document,
when every member of the audience may read them; they rank below every retrieved passage.
"""

from __future__ import annotations

from access import Audience
from retrieval.index import HybridIndex
from retrieval.types import Hit

NEIGHBOURS_OF = 1
"""Whose neighbours are read: the best hit's. Those of every hit (up to six more chunks to embed)
found nothing more on the dev tenant's set and doubled the extract's time (p50 0.49 -> 1.0 s)."""
NEIGHBOUR_SCORE_STEP = 0.001
"""Neighbours score just below the lowest retrieved passage, in the order of the hits they border."""


def chunks_around(index: HybridIndex, hits: list[Hit], audience: Audience, first: int | None = None) -> list[Hit]:
    """The chunks before and after each of ``hits`` (or of its ``first`` ones; same document) that
    are not hits themselves and that ``audience`` may read, scored below every hit. Only those
    documents' own rows are read (``HybridIndex.document_chunks``)."""
    if not hits:
        return []
    taken = {(h.chunk.doc.drive_id, h.chunk.doc.item_id, h.chunk.position) for h in hits}
    floor = min(h.score for h in hits)
    out: list[Hit] = []
    for hit in hits[:first]:
        doc = hit.chunk.doc
        wanted = {hit.chunk.position - 1, hit.chunk.position + 1}
        for chunk in index.document_chunks((doc.drive_id, doc.item_id)):
            key = (doc.drive_id, doc.item_id, chunk.position)
            if chunk.position not in wanted or key in taken or not audience.can_read(chunk.acl):
                continue
            taken.add(key)
            out.append(Hit(chunk, floor - NEIGHBOUR_SCORE_STEP * (len(out) + 1)))
    return out
