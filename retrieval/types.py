"""Small data types shared by retrieval, ingestion and the connectors that feed them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath


def name_stem(name: str) -> str:
    """A file name without its extension: the title a document has when nothing better is known."""
    return PurePosixPath(name).stem


@dataclass(frozen=True)
class DocumentRef:
    """Where a document lives in SharePoint and how to link to it."""

    item_id: str
    drive_id: str
    site_id: str
    title: str
    web_url: str
    name: str = ""
    path: str = ""
    content_tag: str = ""
    """Changes when the content changes (Graph ``cTag``); unchanged means no re-extraction."""


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (e.g. ``("Travel policy", "Hotels")``)."""

    headings: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class ExtractedDocument:
    """Plain text of a document, split at its headings."""

    title: str
    sections: tuple[Section, ...]
    language: str = ""

    @property
    def is_empty(self) -> bool:
        return not any(s.text.strip() for s in self.sections)


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage with the ACL keys of its document stamped on it."""

    chunk_id: str
    doc: DocumentRef
    position: int
    headings: tuple[str, ...]
    text: str
    acl: frozenset[str] = field(default_factory=frozenset)

    @property
    def context_line(self) -> str:
        """Title and heading path, kept with every chunk so a passage is never context-free."""
        parts = [self.doc.title, *[h for h in self.headings if h and h != self.doc.title]]
        return " › ".join(parts)

    @property
    def indexed_text(self) -> str:
        """What BM25 and the embedder see: context line plus body."""
        return f"{self.context_line}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    """A ranked chunk. ``score`` is the fused score; the others are kept for diagnosis."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
