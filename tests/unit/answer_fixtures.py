"""Documents and hits for the answering tests."""

from __future__ import annotations

from retrieval.types import Chunk, DocumentRef, Hit


def doc(n: int, title: str | None = None) -> DocumentRef:
    return DocumentRef(
        item_id=f"item{n}",
        drive_id=f"drive{n}",
        site_id="site",
        title=title or f"Doc {n}",
        web_url=f"https://contoso.sharepoint.com/doc{n}",
    )


def hit(doc: DocumentRef, text: str, position: int = 0, score: float = 1.0) -> Hit:
    chunk = Chunk(f"{doc.item_id}-{position}", doc, position, (doc.title, "Section"), text, frozenset({"tenant:t"}))
    return Hit(chunk, score, dense_score=0.9, lexical_score=2.0)
