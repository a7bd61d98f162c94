"""Teams citations: an answer's ``Citation`` values as the Agents SDK's citation objects.

Teams rejects or cuts citations beyond its limits (name 80 characters, abstract 160, three
keywords of 28, 20 citations per message), and the SDK enforces none of them (``set_citations``
cuts abstracts only at 480), so everything is shortened here, at a word boundary with "…".
``position`` is always the ``[n]`` of the answer text. The icon comes from the file extension.

Two ways to the final message: ``citation_entities`` for ``Activity.add_ai_metadata`` or, with
the exact entity Teams documents, ``ai_message_entity``/``message_entity``;
``stream_citations`` for ``StreamingResponse.set_citations``, which numbers its citations 1, 2, …
itself and keeps only name, abstract and url (no icon, no keywords).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from microsoft_agents.activity import (
    ClientCitation,
    ClientCitationAppearance,
    ClientCitationIconName,
    ClientCitationImage,
    Entity,
)
from microsoft_agents.hosting.core.app.streaming import Citation as StreamCitation

from answering.citations import Citation

NAME_LIMIT = 80
ABSTRACT_LIMIT = 160
KEYWORD_LIMIT = 28
MAX_KEYWORDS = 3
MAX_CITATIONS = 20
ELLIPSIS = "…"

_ICONS: dict[str, ClientCitationIconName] = {
    **dict.fromkeys(("doc", "docx", "docm", "dot", "dotx", "odt", "rtf"), ClientCitationIconName.MICROSOFT_WORD),
    **dict.fromkeys(("xls", "xlsx", "xlsm", "xlsb", "ods", "csv"), ClientCitationIconName.MICROSOFT_EXCEL),
    **dict.fromkeys(("ppt", "pptx", "pptm", "pps", "ppsx", "odp"), ClientCitationIconName.MICROSOFT_POWERPOINT),
    "pdf": ClientCitationIconName.PDF,
    "one": ClientCitationIconName.MICROSOFT_ONENOTE,
    **dict.fromkeys(("vsd", "vsdx"), ClientCitationIconName.MICROSOFT_VISIO),
    "loop": ClientCitationIconName.MICROSOFT_LOOP,
    "whiteboard": ClientCitationIconName.MICROSOFT_WHITEBOARD,
    # No web icon exists; a site page is a SharePoint page.
    **dict.fromkeys(("aspx", "html", "htm"), ClientCitationIconName.MICROSOFT_SHAREPOINT),
    **dict.fromkeys(("txt", "md", "markdown", "rst"), ClientCitationIconName.TEXT),
    **dict.fromkeys(
        ("py", "js", "ts", "json", "xml", "yaml", "yml", "sql", "ps1", "sh", "cs", "java"),
        ClientCitationIconName.SOURCE_CODE,
    ),
    **dict.fromkeys(("png", "jpg", "jpeg", "bmp", "tif", "tiff", "svg", "webp"), ClientCitationIconName.IMAGE),
    "gif": ClientCitationIconName.GIF,
    **dict.fromkeys(("mp4", "mov", "avi", "wmv", "mkv", "webm"), ClientCitationIconName.VIDEO),
    **dict.fromkeys(("mp3", "wav", "m4a", "wma", "ogg"), ClientCitationIconName.SOUND),
    **dict.fromkeys(("zip", "7z", "rar", "gz", "tar"), ClientCitationIconName.ZIP),
}


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at the last word boundary that
    keeps at least half of it (else inside the word), ending in "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - len(ELLIPSIS) + 1]  # one more, to see whether a word ends right there
    boundary = cut.rfind(" ")
    kept = cut[:boundary] if boundary >= limit // 2 else cut[:-1]
    return kept.rstrip(" ,;:.-–") + ELLIPSIS


def icon_for(file_name: str, url: str = "") -> ClientCitationIconName | None:
    """The Teams citation icon for a file's extension (from its name, else its URL's path)."""
    name = file_name or unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _ICONS.get(extension)


def keywords_of(values: Iterable[str]) -> list[str] | None:
    """At most ``MAX_KEYWORDS`` distinct, non-empty keywords of at most ``KEYWORD_LIMIT`` characters."""
    kept: list[str] = []
    for value in values:
        keyword = shorten(value, KEYWORD_LIMIT)
        if keyword and keyword not in kept:
            kept.append(keyword)
        if len(kept) == MAX_KEYWORDS:
            break
    return kept or None


def limited(citations: Iterable[Citation]) -> list[Citation]:
    """The citations by position (the first of each), the ``MAX_CITATIONS`` lowest positions."""
    by_number: dict[int, Citation] = {}
    for c in citations:
        by_number.setdefault(c.number, c)
    return [by_number[n] for n in sorted(by_number)[:MAX_CITATIONS]]


def client_citation(citation: Citation, keywords: Sequence[str] = ()) -> ClientCitation:
    """One citation for the ``[n]`` marker ``citation.number``, within Teams' limits."""
    icon = icon_for(citation.file_name, citation.url)
    return ClientCitation(
        position=citation.number,
        appearance=ClientCitationAppearance(
            name=shorten(citation.title or citation.file_name, NAME_LIMIT) or f"#{citation.number}",
            abstract=shorten(citation.snippet, ABSTRACT_LIMIT),
            url=citation.url or None,
            # type set explicitly: the Bot Connector client serialises with exclude_unset
            image=ClientCitationImage(type="ImageObject", name=icon.value) if icon else None,
            keywords=keywords_of(keywords),
        ),
    )


def citation_entities(citations: Iterable[Citation]) -> list[ClientCitation]:
    """The citations of a message for ``Activity.add_ai_metadata`` (at most ``MAX_CITATIONS``)."""
    return [client_citation(c) for c in limited(citations)]


def claim_json(citation: ClientCitation) -> dict[str, Any]:
    """One ``Claim`` as Teams documents it (``@type`` on every object, no null fields)."""
    appearance = citation.appearance
    shown: dict[str, Any] = {"@type": "DigitalDocument", "name": appearance.name, "abstract": appearance.abstract}
    if appearance.url:
        shown["url"] = appearance.url
    if appearance.image is not None:
        shown["image"] = {"@type": "ImageObject", "name": appearance.image.name}
    if appearance.keywords:
        shown["keywords"] = list(appearance.keywords)
    return {"@type": "Claim", "position": citation.position, "appearance": shown}


def ai_message_entity(citations: Iterable[Citation]) -> dict[str, Any]:
    """The root ``https://schema.org/Message`` entity: the AI label and the citations.

    ``add_ai_metadata`` differs from it: it adds ``"id": ""`` and ``"usageInfo": null`` and drops
    the image's ``@type``.
    """
    entity: dict[str, Any] = {
        "type": "https://schema.org/Message",
        "@type": "Message",
        "@context": "https://schema.org",
        "additionalType": ["AIGeneratedContent"],
    }
    claims = [claim_json(c) for c in citation_entities(citations)]
    if claims:
        entity["citation"] = claims
    return entity


def message_entity(citations: Iterable[Citation]) -> Entity:
    """``ai_message_entity`` as an SDK entity for ``activity.entities``; it serialises unchanged.

    Built with ``model_construct``: validating it would turn it into the SDK's ``AIEntity``.
    """
    return Entity.model_construct(**ai_message_entity(citations))


def stream_citations(citations: Iterable[Citation]) -> list[StreamCitation]:
    """Citations for ``StreamingResponse.set_citations``, shortened to Teams' limits.

    ``set_citations`` numbers citations 1, 2, … in list order, so the list has one entry per
    number up to the highest kept one; numbers nobody cites get an empty entry, which the SDK
    leaves out of the final message because no ``[n]`` in the text points at it.
    """
    kept = {c.number: c for c in limited(citations)}
    shown: list[StreamCitation] = []
    for number in range(1, max(kept, default=0) + 1):
        c = kept.get(number)
        if c is None:
            shown.append(StreamCitation(content="", title=""))
            continue
        title = shorten(c.title or c.file_name, NAME_LIMIT) or f"#{number}"
        shown.append(StreamCitation(content=shorten(c.snippet, ABSTRACT_LIMIT), title=title, url=c.url or None))
    return shown
