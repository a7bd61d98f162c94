"""Splitting extracted documents into passages that keep their title and headings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from retrieval.types import Chunk, DocumentRef, ExtractedDocument

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")


def _units(text: str, max_words: int) -> Iterator[str]:
    """Paragraphs, with paragraphs longer than ``max_words`` broken at sentence ends (or hard)."""
    for paragraph in _PARAGRAPHS.split(text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if len(paragraph.split()) <= max_words:
            yield paragraph
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            words = sentence.split()
            for start in range(0, len(words), max_words):
                yield " ".join(words[start : start + max_words])


def chunk_document(
    doc: DocumentRef,
    extracted: ExtractedDocument,
    acl: frozenset[str],
    max_words: int = 160,
    overlap_words: int = 30,
) -> list[Chunk]:
    """Pack paragraphs of each section into chunks of at most ``max_words`` words.

    Chunks never span two sections, so each carries exactly one heading path. Consecutive chunks
    of a section overlap by up to ``overlap_words`` words so a fact split across a boundary is
    still whole in one of them.
    """
    if max_words <= overlap_words:
        raise ValueError("max_words must exceed overlap_words")
    chunks: list[Chunk] = []
    for section in extracted.sections:
        current: list[str] = []
        for unit in _units(section.text, max_words):
            unit_words = unit.split()
            if current and len(current) + len(unit_words) > max_words:
                chunks.append(_make(doc, len(chunks), section.headings, current, acl))
                current = current[-overlap_words:] if overlap_words else []
                if len(current) + len(unit_words) > max_words:
                    current = []
            current.extend(unit_words)
        if current:
            chunks.append(_make(doc, len(chunks), section.headings, current, acl))
    return chunks


def _make(doc: DocumentRef, position: int, headings: tuple[str, ...], words: list[str], acl: frozenset[str]) -> Chunk:
    text = " ".join(words)
    digest = hashlib.sha1(f"{doc.drive_id}/{doc.item_id}/{position}".encode()).hexdigest()[:16]
    return Chunk(chunk_id=digest, doc=doc, position=position, headings=headings, text=text, acl=acl)
