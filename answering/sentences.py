"""The candidate sentences of an extractive answer: passages split into sentences and list items.

Passages come from PDFs, Word files and pages whose headings are often run into the text ("5.
Verpflegungsmehraufwand Für Verpflegung …", "Code Word The code word …") and whose page headers
repeat the title; those are split off or dropped, so that a candidate is a sentence that can answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from answering.facts import MONTHS, extract_facts
from answering.prompts import SourceDocument
from retrieval.lexical import content_words
from retrieval.types import Hit

MAX_CANDIDATES = 48
MIN_WORDS = 4
"""Shorter pieces are headings or labels ("Projekt Nordlicht"), not sentences that answer, unless
they give a value under a label ("Tagesgericht: 4,90 EUR"); breadcrumbs ("Contoso Dev GmbH ›
Intranet") never answer."""
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9„\"(])|\n+|\s+[-–•*]\s+|(?<=[:;,])\s+(?=- )|\s*[-=]{3,}\s*")
_NO_SPLIT_BEFORE = re.compile(
    r"(?:\b(?:Dr|Prof|Nr|ca|bzw|inkl|ggf|vgl|z\.\s?B|Mio|Mrd|Abs|Art|No|Mr|Mrs|Ms)|(?<![\d.,])\d{1,2})\.$"
)
"""No sentence ends after an abbreviation or an ordinal ("1. Klasse", "31. März"); one does after a
year or another longer number ("… 20 June 2025. Code Word …")."""
_HEADING_BEFORE_SENTENCE = re.compile(
    r"(?<=[\w)])[ \t]+(?=(?:Die|Der|Das|Ein|Eine|Für|Bei|Wir|Alle|Jede[rs]?|The|A|An|This|All|Each|Every|Our|We|If)"
    r"\s+[\w„\"])"
)
"""A heading run into its first sentence ("Code Word The code word …", "Zusammenfassung Die …"): an
article or pronoun that is capitalised inside a line starts a sentence (German capitalises nouns,
never articles)."""
_NUMBERING = re.compile(r"^\d{1,2}\.$")
_MONTH_FIRST = re.compile(rf"^(?:{'|'.join(m for m in MONTHS if len(m) > 3)})\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-–•*]|\d+\.)\s+")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage and the source number it belongs to."""

    text: str
    source: int
    order: int
    """Position among all candidates (passage rank, then position in the passage)."""
    passage_score: float = 0.0
    """The retrieval score of the passage it comes from."""
    passage: str = ""
    """The passage it comes from, with its section headings (not the document's title)."""
    section: str = ""
    """The innermost heading of its passage, when that is not the document's title."""

    @property
    def in_section(self) -> str:
        """The sentence after its section's heading ("Kantine Lindenhof: Sie ist … geöffnet.")."""
        return f"{self.section}: {self.text}" if self.section else self.text


def passage_sentences(text: str) -> list[str]:
    """A passage split into sentences and list items, without bullets and section numbers."""
    pieces: list[str] = []
    for piece in _SPLIT.split(_HEADING_BEFORE_SENTENCE.sub("\n", text)):
        piece = _BULLET.sub("", piece).strip()
        if not piece:
            continue
        if pieces and _NUMBERING.match(pieces[-1]) and not _MONTH_FIRST.match(piece):
            pieces[-1] = piece  # "5. Verpflegungsmehraufwand": a section number, not a fact
        elif pieces and _NO_SPLIT_BEFORE.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p for p in pieces if "›" not in p and not p.endswith("?") and (_sentence_like(p) or _labelled_fact(p))]


def _section(hit: Hit) -> str:
    headings = [h for h in hit.chunk.headings if h and h != hit.chunk.doc.title]
    return " ".join(headings[-1].split()) if headings else ""


def _passage_text(hit: Hit) -> str:
    headings = [h for h in hit.chunk.headings if h and h != hit.chunk.doc.title]
    return "\n".join([*headings, hit.chunk.text])


def _title_line(sentence: str, title: str) -> bool:
    """A page header or footer: the document's title words, no sentence ("Incident Report
    INC-2025-017: SSRF … CONFIDENTIAL", "Contoso Dev GmbH – Reisekostenrichtlinie 1")."""
    words = {w.lower() for w in content_words(title.replace("-", " "))}
    found = {w.lower() for w in content_words(sentence.replace("-", " "))}
    return bool(words) and not sentence.rstrip().endswith((".", "!")) and len(words & found) >= 0.8 * len(words)


def _sentence_like(piece: str) -> bool:
    return len(piece) >= 12 and len(piece.split()) >= MIN_WORDS


def _labelled_fact(piece: str) -> bool:
    """A short list item that gives a value under a label ("Tagesgericht: 4,90 EUR")."""
    label, colon, value = piece.partition(":")
    return bool(colon and label.strip() and value.strip() and extract_facts(value))


def candidates(sources: list[SourceDocument]) -> list[Sentence]:
    """Every sentence of the passages, in passage rank order (best passage first)."""
    out: list[Sentence] = []
    ranked = sorted(((hit.score, s.number, hit) for s in sources for hit in s.hits), key=lambda t: -t[0])
    for score, number, hit in ranked:
        for sentence in passage_sentences(hit.chunk.text):
            if _title_line(sentence, hit.chunk.doc.title):
                continue
            out.append(Sentence(sentence, number, len(out), score, _passage_text(hit), _section(hit)))
            if len(out) >= MAX_CANDIDATES:
                return out
    return out
