"""Citations, the stream filter, language detection and prompts (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest

from answering.citations import clean_answer, resolve_citations
from answering.language import detect_language
from answering.model_stream import StreamFilter
from answering.pipeline import normalise_question
from answering.prompts import SYSTEM, SourceDocument, build_messages, group_sources
from tests.unit.answer_fixtures import doc as _doc
from tests.unit.answer_fixtures import hit as _hit


def _sources(n: int = 2) -> list[SourceDocument]:
    return group_sources([_hit(_doc(i), f"passage of document {i}") for i in range(1, n + 1)])


# --- citations -------------------------------------------------------------------------------


def test_invalid_markers_are_dropped_and_valid_ones_cited_once() -> None:
    text, citations = resolve_citations("Hotels cost 120 EUR [2][1]. Meals [7] and [2] again [0].", _sources(2))
    assert "[7]" not in text and "[0]" not in text
    assert "[1]" in text and text.count("[2]") == 2
    assert [c.number for c in citations] == [1, 2]
    assert citations[0].title == "Doc 1" and citations[0].url == "https://contoso.sharepoint.com/doc1"
    assert citations[1].item_id == "item2" and citations[1].drive_id == "drive2"
    assert citations[1].snippet == "passage of document 2"


def test_fallback_cites_the_best_source_and_appends_its_marker() -> None:
    text, citations = resolve_citations("The limit is 120 EUR. ", _sources(3))
    assert text == "The limit is 120 EUR. [1]"
    assert [c.number for c in citations] == [1]


def test_fallback_when_every_marker_was_invalid() -> None:
    text, citations = resolve_citations("See [9].", _sources(2))
    assert [c.number for c in citations] == [1]
    assert "[9]" not in text and text.endswith("[1]")


def test_without_sources_nothing_is_cited() -> None:
    text, citations = resolve_citations("Answer [1]", [])
    assert citations == [] and text == "Answer"


def test_only_shown_sources_are_cited() -> None:
    sources = _sources(2)
    _, citations = resolve_citations("[1] [2] [3] [4]", sources)
    assert {c.item_id for c in citations} <= {s.doc.item_id for s in sources}
    assert [c.number for c in citations] == [1, 2]


def test_clean_answer_drops_only_a_leading_label() -> None:
    assert clean_answer("  Antwort : Die Antwort ist 3.") == "Die Antwort ist 3."
    assert clean_answer("ANSWER: yes") == "yes"
    assert clean_answer("The answer: yes") == "The answer: yes"


def test_snippet_is_shortened_at_a_word_boundary() -> None:
    long_text = " ".join(["wort"] * 100)
    snippet = group_sources([_hit(_doc(1), long_text)])[0].snippet
    assert len(snippet) <= 240 and snippet.endswith(" …")
    assert snippet[:-2].split() == ["wort"] * len(snippet[:-2].split())


# --- prompts ---------------------------------------------------------------------------------


def test_group_sources_numbers_documents_by_their_best_hit() -> None:
    a, b = _doc(1, "A"), _doc(2, "B")
    hits = [_hit(b, "b best", 3), _hit(a, "a", 0), _hit(b, "b second", 1)]
    sources = group_sources(hits)
    assert [(s.number, s.doc.title) for s in sources] == [(1, "B"), (2, "A")]
    assert [h.chunk.text for h in sources[0].hits] == ["b best", "b second"]


def test_build_messages_contains_only_given_passages_numbered_by_document() -> None:
    a, b = _doc(1, "Reisekosten"), _doc(2, "Urlaub")
    hits = [_hit(a, "Hotel bis 120 EUR", 5), _hit(b, "30 Tage Urlaub", 0), _hit(a, "Bahn 2. Klasse", 2)]
    prompt = build_messages("Wie hoch ist das Hotellimit?", group_sources(hits), "de")
    assert [m["role"] for m in prompt] == ["system", "user"]
    assert prompt[0]["content"] == SYSTEM["de"]
    user = prompt[1]["content"]
    assert user.startswith("Quellen:\n\n[1] Reisekosten\n")
    assert "\n\n[2] Urlaub\n" in user
    assert re.findall(r"^\[(\d+)\] ", user, re.MULTILINE) == ["1", "2"]
    # passages of one document appear in document order, each with its context line
    assert user.index("Bahn 2. Klasse") < user.index("Hotel bis 120 EUR") < user.index("30 Tage Urlaub")
    assert "Reisekosten › Section: Hotel bis 120 EUR" in user
    assert user.endswith("Frage: Wie hoch ist das Hotellimit?")
    for other in ("secret", "Gehalt"):
        assert other not in user


def test_build_messages_english_and_unknown_language_fall_back_to_english() -> None:
    for language in ("en", "fr"):
        prompt = build_messages("Q?", _sources(1), language)
        assert prompt[0]["content"] == SYSTEM["en"]
        assert prompt[1]["content"].startswith("Sources:") and prompt[1]["content"].endswith("Question: Q?")


# --- stream filter -----------------------------------------------------------------------------


def _run_filter(deltas: Sequence[str], valid: set[int]) -> tuple[list[str], str, StreamFilter]:
    f = StreamFilter(valid_numbers=valid)
    out = [f.feed(d) for d in deltas]
    out.append(f.flush())
    return out, "".join(out), f


def test_label_split_over_deltas_is_stripped() -> None:
    _, text, f = _run_filter(["Ant", "wort", ": ", "Die Grenze", " liegt bei 120 EUR [1]."], {1})
    assert text == "Die Grenze liegt bei 120 EUR [1]."
    assert f.text == text


def test_invalid_marker_split_over_deltas_is_dropped() -> None:
    out, text, f = _run_filter(["The hotel limit is 120 EUR ", "[", "7]", " per night [", "1", "]", "."], {1})
    assert "[7]" not in text and "7]" not in text
    assert "[1]" in text
    assert text == "The hotel limit is 120 EUR  per night [1]."
    assert not any(piece.endswith("[") for piece in out)  # partial markers are held back
    assert f.text == text


def test_invalid_three_digit_marker_and_brackets_that_are_not_markers() -> None:
    _, text, _ = _run_filter(["Values [a] and [1234] stay; [", "12", "3]", " goes [2]"], {2})
    assert text == "Values [a] and [1234] stay;  goes [2]"


def test_short_answer_is_released_on_flush() -> None:
    out, text, f = _run_filter(["Ja", " [1]."], {1})
    assert out[:-1] == ["", ""] and text == "Ja [1]." and f.text == "Ja [1]."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wie\x00 viele\x07 Tage?\x1b", "Wie viele Tage?"),
        ("  a\t\tb\r\n c\x7f ", "a b c"),
        ("\x00\x01\x02", ""),
        ("Büro – “Kantine”", "Büro – “Kantine”"),
    ],
)
def test_normalise_question(raw: str, expected: str) -> None:
    assert normalise_question(raw) == expected


# --- language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("Wie viele Urlaubstage habe ich im Jahr?", None, "de"),
        ("Darf ich mein Büro am Freitag früher verlassen?", "en-US", "de"),
        ("How many vacation days do I have per year?", None, "en"),
        ("What is the hotel limit for a business trip?", "de-DE", "en"),
        ("Reisekostenrichtlinie", "de-DE", "de"),
        ("Reisekostenrichtlinie", "en-US", "en"),
        ("Reisekostenrichtlinie", None, "en"),
        ("Gehaltsbänder", None, "de"),  # an umlaut is German
        ("VPN", "DE", "de"),
    ],
)
def test_detect_language(text: str, hint: str | None, expected: str) -> None:
    assert detect_language(text, hint) == expected


def test_detect_language_on_every_seed_question(questions: list[dict[str, Any]]) -> None:
    wrong = [q["question"] for q in questions if detect_language(q["question"]) != q["lang"]]
    assert wrong == []
