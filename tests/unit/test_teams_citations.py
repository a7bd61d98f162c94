"""bot/citations.py (Teams citation objects and entity) and the sources list of answering/messages.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from microsoft_agents.activity import Activity, ActivityTypes, AIEntity, ClientCitationIconName
from microsoft_agents.hosting.core.app.streaming.citation_util import CitationUtil

from answering import messages
from answering.citations import MARKER, Citation, resolve_citations
from answering.prompts import group_sources
from bot.citations import (
    ABSTRACT_LIMIT,
    MAX_CITATIONS,
    NAME_LIMIT,
    ai_message_entity,
    citation_entities,
    client_citation,
    icon_for,
    keywords_of,
    message_entity,
    shorten,
    stream_citations,
)
from retrieval.types import DocumentRef
from tests.unit.answer_fixtures import hit

LONG_TITLE = "Richtlinie für Reisekosten und Spesenabrechnung der Contoso GmbH gültig ab dem ersten Januar zweitausendfünfundzwanzig"
LONG_SNIPPET = " ".join(["Hotelkosten werden bis 120 EUR pro Nacht erstattet, in München bis 150 EUR."] * 6)


def _citation(
    number: int, title: str = "Doc", file_name: str = "doc.docx", snippet: str = "passage", url: str = ""
) -> Citation:
    return Citation(
        number=number,
        title=title,
        url=url or f"https://contoso.sharepoint.com/sites/hr/Shared%20Documents/{file_name}",
        item_id=f"item{number}",
        drive_id="drive",
        snippet=snippet,
        file_name=file_name,
    )


def _dump(activity: Activity) -> dict[str, Any]:
    """The activity as the SDK's Bot Connector client sends it."""
    return activity.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- limits ------------------------------------------------------------------------------------


def test_shorten_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    short = shorten(LONG_TITLE, NAME_LIMIT)
    assert len(short) <= NAME_LIMIT and short.endswith("…")
    assert LONG_TITLE.startswith(short[:-1]) and LONG_TITLE[len(short) - 1] == " "  # a whole word kept
    assert shorten("kurz", NAME_LIMIT) == "kurz"
    assert shorten("a\n  b\tc", 10) == "a b c"  # one line


def test_shorten_cuts_inside_a_word_only_when_there_is_no_boundary() -> None:
    assert shorten("x" * 200, NAME_LIMIT) == "x" * (NAME_LIMIT - 1) + "…"
    # a boundary before half the limit would waste the space: cut the long word instead
    assert shorten("Zu " + "y" * 100, 40) == "Zu " + "y" * 36 + "…"
    assert shorten("Reisekostenrichtlinienübersicht " + "y" * 100, 40) == "Reisekostenrichtlinienübersicht…"


@pytest.mark.parametrize("limit", [10, 28, 80, 160])
def test_shorten_never_exceeds_the_limit(limit: int) -> None:
    for length in range(limit - 5, limit + 30):
        text = ("wort " * 100)[:length]
        assert len(shorten(text, limit)) <= limit


def test_name_80_and_abstract_160_at_word_boundaries() -> None:
    appearance = client_citation(_citation(1, LONG_TITLE, snippet=LONG_SNIPPET)).appearance
    assert len(appearance.name) <= NAME_LIMIT == 80 and appearance.name.endswith("…")
    assert len(appearance.abstract) <= ABSTRACT_LIMIT == 160 and appearance.abstract.endswith("…")
    assert LONG_SNIPPET.startswith(appearance.abstract[:-1].rstrip(",.")) and " " not in appearance.abstract[-2:]
    assert appearance.url == "https://contoso.sharepoint.com/sites/hr/Shared%20Documents/doc.docx"


def test_at_most_20_citations_keeping_the_lowest_positions() -> None:
    many = [_citation(n) for n in range(25, 0, -1)]
    entities = citation_entities(many)
    assert [c.position for c in entities] == list(range(1, MAX_CITATIONS + 1))
    streamed = stream_citations(many)
    assert len(streamed) == MAX_CITATIONS


def test_keywords_at_most_three_of_28_characters() -> None:
    keywords = keywords_of(["Personal", "Personal", "", "Reisekosten und Spesen der Contoso GmbH", "HR", "IT"])
    assert keywords == ["Personal", "Reisekosten und Spesen der…", "HR"]
    assert all(len(k) <= 28 for k in keywords)
    assert keywords_of([]) is None
    assert client_citation(_citation(1), ["a", "b", "c", "d"]).appearance.keywords == ["a", "b", "c"]


# --- icons -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "icon"),
    [
        ("Reisekosten.docx", ClientCitationIconName.MICROSOFT_WORD),
        ("alt.DOC", ClientCitationIconName.MICROSOFT_WORD),
        ("Budget.xlsx", ClientCitationIconName.MICROSOFT_EXCEL),
        ("Onboarding.pptx", ClientCitationIconName.MICROSOFT_POWERPOINT),
        ("Sicherheit.pdf", ClientCitationIconName.PDF),
        ("README.md", ClientCitationIconName.TEXT),
        ("notes.txt", ClientCitationIconName.TEXT),
        ("Home.aspx", ClientCitationIconName.MICROSOFT_SHAREPOINT),
        ("page.html", ClientCitationIconName.MICROSOFT_SHAREPOINT),
        ("archive.zip", ClientCitationIconName.ZIP),
        ("no-extension", None),
        ("strange.xyz", None),
    ],
)
def test_icon_by_extension(file_name: str, icon: ClientCitationIconName | None) -> None:
    assert icon_for(file_name) == icon
    image = client_citation(_citation(1, file_name=file_name)).appearance.image
    assert (image.name if image else None) == (icon.value if icon else None)


def test_icon_from_the_url_when_the_file_name_is_unknown() -> None:
    assert icon_for("", "https://contoso.sharepoint.com/sites/hr/SitePages/Home.aspx") == (
        ClientCitationIconName.MICROSOFT_SHAREPOINT
    )
    assert icon_for("", "https://contoso.sharepoint.com/Shared%20Documents/Plan%20Q1.xlsx?web=1") == (
        ClientCitationIconName.MICROSOFT_EXCEL
    )


def test_resolve_citations_carries_the_file_name() -> None:
    doc = DocumentRef("i1", "d1", "s", "Reisekosten", "https://contoso.sharepoint.com/r", name="Reisekosten.pdf")
    _, citations = resolve_citations("Hotels [1].", group_sources([hit(doc, "120 EUR")]))
    assert citations[0].file_name == "Reisekosten.pdf"
    assert icon_for(citations[0].file_name) == ClientCitationIconName.PDF


# --- positions and the entity ------------------------------------------------------------------


def test_positions_match_the_markers_in_the_text() -> None:
    doc = {n: DocumentRef(f"i{n}", "d", "s", f"Doc {n}", f"https://c/{n}", name=f"d{n}.pdf") for n in (1, 2, 3)}
    sources = group_sources([hit(doc[n], f"passage {n}") for n in (1, 2, 3)])
    text, citations = resolve_citations("Hotels [3]. Meals [1].", sources)
    entities = citation_entities(citations)
    assert {c.position for c in entities} == {int(n) for n in MARKER.findall(text)} == {1, 3}
    # what the streamed final message keeps: positions counted by set_citations, filtered by the text
    streamed = stream_citations(citations)
    assert [s.title for s in streamed] == ["Doc 1", "", "Doc 3"]
    numbered = [(n, s) for n, s in enumerate(streamed, start=1)]
    used = {n for n, s in numbered if f"[{n}]" in text}
    assert used == {1, 3} and all(numbered[n - 1][1].title == f"Doc {n}" for n in used)


def test_stream_citations_are_shortened_so_the_sdk_cuts_nothing() -> None:
    (streamed,) = stream_citations([_citation(1, LONG_TITLE, snippet=LONG_SNIPPET)])
    assert len(streamed.title or "") <= NAME_LIMIT and len(streamed.content) <= ABSTRACT_LIMIT
    assert CitationUtil.snippet(streamed.content, 480) == streamed.content


def test_the_ai_message_entity_has_the_documented_shape() -> None:
    entity = ai_message_entity([_citation(2, "Sicherheit", "IT.pdf", "Passwörter: 14 Zeichen"), _citation(1)])
    assert entity == {
        "type": "https://schema.org/Message",
        "@type": "Message",
        "@context": "https://schema.org",
        "additionalType": ["AIGeneratedContent"],
        "citation": [
            {
                "@type": "Claim",
                "position": 1,
                "appearance": {
                    "@type": "DigitalDocument",
                    "name": "Doc",
                    "abstract": "passage",
                    "url": "https://contoso.sharepoint.com/sites/hr/Shared%20Documents/doc.docx",
                    "image": {"@type": "ImageObject", "name": "Microsoft Word"},
                },
            },
            {
                "@type": "Claim",
                "position": 2,
                "appearance": {
                    "@type": "DigitalDocument",
                    "name": "Sicherheit",
                    "abstract": "Passwörter: 14 Zeichen",
                    "url": "https://contoso.sharepoint.com/sites/hr/Shared%20Documents/IT.pdf",
                    "image": {"@type": "ImageObject", "name": "PDF"},
                },
            },
        ],
    }
    assert "citation" not in ai_message_entity([])


def test_message_entity_serialises_exactly_as_the_dict_and_parses_back() -> None:
    citations = [_citation(1, LONG_TITLE, "a.pptx", LONG_SNIPPET)]
    reply = Activity(type=ActivityTypes.message, text="Antwort [1]", entities=[message_entity(citations)])
    sent = _dump(reply)
    assert sent["entities"] == [ai_message_entity(citations)]
    parsed = Activity.model_validate(sent).entities[0]
    assert isinstance(parsed, AIEntity) and parsed.citation  # the SDK reads it as its own entity
    assert parsed.citation[0].position == 1 and parsed.citation[0].appearance.name.endswith("…")
    image = parsed.citation[0].appearance.image
    assert image is not None and image.name == "Microsoft PowerPoint"


def test_what_add_ai_metadata_sends_differs_from_the_documented_entity() -> None:
    """Why ai_message_entity exists: the SDK's entity has an empty id, a null usageInfo and an
    image without @type. The label and citations themselves do survive."""
    reply = Activity(type=ActivityTypes.message, text="Antwort [1]")
    reply.add_ai_metadata(citation_entities([_citation(1, file_name="a.pdf")]))
    (sent,) = _dump(reply)["entities"]
    assert sent["additionalType"] == ["AIGeneratedContent"] and sent["@type"] == "Message"
    assert sent["citation"][0]["position"] == 1 and sent["citation"][0]["@type"] == "Claim"
    assert sent["citation"][0]["appearance"]["image"] == {"type": "ImageObject", "name": "PDF"}
    assert sent["id"] == "" and sent["usageInfo"] is None


# --- the sources text --------------------------------------------------------------------------

HOSTILE = "Evil](https://attacker.example) [click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** `code`\n# Heading"


def test_sources_text_numbers_markdown_links() -> None:
    text = messages.sources_text([_citation(3, "Urlaub"), _citation(1, "Reisekosten & Spesen")], "de")
    assert text.splitlines() == [
        "Quellen meiner letzten Antwort:",
        "- [1] [Reisekosten & Spesen](https://contoso.sharepoint.com/sites/hr/Shared%20Documents/doc.docx)",
        "- [3] [Urlaub](https://contoso.sharepoint.com/sites/hr/Shared%20Documents/doc.docx)",
    ]
    assert messages.sources_text([], "en") == messages.text("sources_none", "en")
    assert messages.sources_text([_citation(1)], "en").startswith("Sources of my last answer:\n- [1] [Doc](")


def test_a_hostile_title_cannot_add_links_markup_or_lines() -> None:
    text = messages.sources_text([_citation(1, HOSTILE, url="https://c.sharepoint.com/a b(1).docx")], "en")
    lines = text.splitlines()
    assert len(lines) == 2  # the title's newline did not start a heading
    line = lines[1]
    # exactly one link: every [ ] ( ) < > * ` of the title is escaped
    unescaped = re.findall(r"(?<!\\)[\[\]()<>*`]", line)
    assert unescaped == ["[", "]", "[", "]", "(", ")"]  # "[1]" and the one link
    assert line.endswith("](https://c.sharepoint.com/a%20b%281%29.docx)")
    assert "javascript" not in line.split("](")[-1]


def test_a_link_that_is_not_http_is_left_out() -> None:
    line = messages.sources_text([_citation(1, "Doc", url="javascript:alert(1)")], "en").splitlines()[1]
    assert line == "- [1] Doc"


def test_markdown_escape_keeps_ordinary_punctuation() -> None:
    assert messages.markdown_escape("Q1-Plan: Reise & Spesen!") == "Q1-Plan: Reise & Spesen!"
    assert messages.markdown_escape("a &lt;b&gt;") == "a \\&lt;b\\&gt;"
