"""Focus words: what a question asks for, read from the words after its question word."""

from __future__ import annotations

import pytest

from answering.focus import focus_words


@pytest.mark.parametrize(
    ("question", "language", "expected"),
    [
        ("Welche Kaufpreisspanne ist für die Übernahme vorgesehen?", "de", ["Kaufpreisspanne"]),
        ("Wie lautet das Codewort für den Sicherheitsvorfall?", "de", ["Codewort"]),
        ("An welche Adresse leite ich eine Phishing-Mail weiter?", "de", ["Adresse"]),
        ("Wie hoch ist die Hotelobergrenze pro Nacht?", "de", ["Hotelobergrenze"]),
        ("What is the code word for incident INC-2025-017?", "en", ["code", "word"]),
        ("Which subject prefix do I use to send personal data?", "en", ["subject", "prefix"]),
        ("What was the CVSS score of the SSRF vulnerability?", "en", ["CVSS", "score"]),
        ("Wie viele Tage Sonderurlaub gibt es?", "de", ["Tage", "Sonderurlaub"]),
        ("What are the opening hours of the IT helpdesk?", "en", ["opening", "hours"]),
    ],
)
def test_the_words_after_the_question_word_are_the_focus(question: str, language: str, expected: list[str]) -> None:
    assert focus_words(question, language) == expected


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Bis wann kann Resturlaub übertragen werden?", "de"),  # no noun after the question word
        ("Where do I report a phishing email?", "en"),
        ("How many weeks of parental leave are there?", "en"),  # a unit alone is not the focus
        ("Wie viele Tage darf ich mobil arbeiten?", "de"),
        ("Can I bring my dog to the office?", "en"),
        ("What is the code word?", None),  # language not decided: no focus
    ],
)
def test_other_forms_have_no_focus(question: str, language: str | None) -> None:
    assert focus_words(question, language) == []
