"""Focus words: what a question asks for, read from the words after its question word."""

from __future__ import annotations

import pytest

from answering.focus import asks_for_code, focus_words


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
        # what an amount is paid for
        ("How much does the company contribute to dental insurance?", "en", ["dental", "insurance"]),
        ("How much will Contoso pay towards the Deutschlandticket?", "en", ["Deutschlandticket"]),
        ("Wie viel zahlt die Firma für das Jobticket?", "de", ["Jobticket"]),
        ("Wie viel erstattet Contoso für Hotelkosten pro Nacht?", "de", ["Hotelkosten"]),
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
        ("How many days do I have to report a breach?", "en"),  # "to report": not a payment
    ],
)
def test_other_forms_have_no_focus(question: str, language: str | None) -> None:
    assert focus_words(question, language) == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which command rolls back a deployment?", True),
        ("What command do I run to restart the service?", True),
        ("Mit welchem Befehl setze ich ein Deployment zurück?", True),
        ("Welches Kommando startet den Server?", True),
        ("Wie viele Urlaubstage habe ich?", False),
        ("Who commands the project?", False),
    ],
)
def test_questions_for_a_command(question: str, expected: bool) -> None:
    assert asks_for_code(question) is expected
