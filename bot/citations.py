"""Teams citation entities for an answer's citations (placeholder until the limits land)."""

from __future__ import annotations

from microsoft_agents.activity import ClientCitation, ClientCitationAppearance

from answering.citations import Citation


def citation_entities(citations: list[Citation]) -> list[ClientCitation]:
    return [
        ClientCitation(
            position=c.number,
            appearance=ClientCitationAppearance(name=c.title, url=c.url or None, abstract=c.snippet[:480]),
        )
        for c in citations
    ]
