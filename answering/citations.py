"""Citations: ``[n]`` markers in the answer mapped to the documents the model was shown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from answering.prompts import SourceDocument

MARKER = re.compile(r"\[(\d{1,3})\]")
"""A citation marker ``[n]`` in answer text."""
_LEADING_LABEL = re.compile(r"^\s*(?:answer|antwort)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """A cited document: its number in the answer text, title, link, Graph ids and file name."""

    number: int
    title: str
    url: str
    item_id: str
    drive_id: str
    snippet: str
    file_name: str = ""
    """The SharePoint file name with its extension (``Reisekosten.docx``, ``Home.aspx``); may be empty."""


def clean_answer(text: str) -> str:
    """Drop a leading "Answer:" label some models emit and surrounding whitespace."""
    return _LEADING_LABEL.sub("", text).strip()


def resolve_citations(text: str, sources: list[SourceDocument], fallback: int = 1) -> tuple[str, list[Citation]]:
    """The documents the answer cites, by their source numbers; markers to unknown numbers go.

    When the model cited nothing, the best ``fallback`` sources are cited and their markers
    appended, because the answer was generated from them and the reader needs the link.
    """
    by_number = {s.number: s for s in sources}
    cleaned = MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in by_number else "", text).strip()
    cited = sorted({int(n) for n in MARKER.findall(cleaned)})
    if not cited and sources:
        cited = [s.number for s in sources[:fallback]]
        cleaned = f"{cleaned} " + "".join(f"[{n}]" for n in cited)
    citations = [
        Citation(
            number=n,
            title=by_number[n].doc.title,
            url=by_number[n].doc.web_url,
            item_id=by_number[n].doc.item_id,
            drive_id=by_number[n].doc.drive_id,
            snippet=by_number[n].snippet,
            file_name=by_number[n].doc.name,
        )
        for n in cited
    ]
    return cleaned, citations
