"""The grounding check: facts of an answer against its cited sources, in German and English."""

from __future__ import annotations

import pytest

from answering.checked_stream import CheckedStream
from answering.facts import canonical_number, extract_facts
from answering.grounding import Asked, Check, GroundingCheck, asked_kind, is_empty, split_sentences
from answering.prompts import group_sources
from tests.unit.answer_fixtures import doc, hit

TRAVEL = doc(1, "Reisekostenrichtlinie")
VACATION = doc(2, "Urlaubsregelung")
SECURITY = doc(3, "IT Security Guideline")
SOURCES = group_sources(
    [
        hit(TRAVEL, "Die Hotelobergrenze beträgt 120 EUR pro Nacht. Das Tagesgericht kostet 4,50 EUR."),
        hit(
            VACATION, "Resturlaub kann bis zum 31. März des Folgejahres übertragen werden. Es gibt 3 Tage Sonderurlaub."
        ),
        hit(
            SECURITY,
            "Report phishing to phishing@contoso.dev. The Compliance Officer is Dr. Helena Brandt. "
            "The code word is AURORA-FALKE-2291 and the helpdesk opens at 07:30.",
        ),
    ]
)


def check(question: str = "Wie hoch ist die Hotelobergrenze?") -> GroundingCheck:
    return GroundingCheck(question, SOURCES)


def facts(text: str) -> set[tuple[str, str]]:
    return {(f.kind, f.key) for f in extract_facts(text)}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("4,50 EUR", "4.50 EUR"),
        ("4,5 EUR", "4.50 EUR"),
        ("1.000 EUR", "1,000 EUR"),
        ("1.500 EUR", "1500 EUR"),
        ("31. März", "31.03."),
        ("31. März", "March 31"),
        ("31 March 2026", "31.03.2026"),
        ("drei Tage", "3 Tage"),
        ("three days", "3 days"),
        ("9:00 Uhr", "9.00 Uhr"),
        ("07:30", "7:30"),
    ],
)
def test_the_same_fact_written_differently_is_the_same(a: str, b: str) -> None:
    assert facts(a) == facts(b) and facts(a)


def test_numbers_are_normalised() -> None:
    assert canonical_number("4,90") == canonical_number("4.90") == "4.9"
    assert canonical_number("78.000") == canonical_number("78,000") == "78000"
    assert canonical_number("8.6") == "8.6"


def test_fact_kinds() -> None:
    found = facts("Contact Dr. Helena Brandt at phishing@contoso.dev; code AURORA-FALKE-2291 since 1 September 2025.")
    assert ("email", "phishing@contoso.dev") in found
    assert ("code", "aurora-falke-2291") in found
    assert ("date", "1.9") in found and ("number", "2025") in found
    assert {("name", "helena"), ("name", "brandt")} <= found


@pytest.mark.parametrize(
    "answer",
    [
        "Die Hotelobergrenze beträgt 120 EUR pro Nacht [1].",
        "Pro Nacht werden höchstens 120 Euro erstattet [1].",  # a paraphrase, no new fact
        "Das Tagesgericht kostet 4.50 EUR [1].",  # 4,50 in the source
        "Resturlaub verfällt nach dem 31.03. [2]",  # 31. März in the source
        "Man bekommt drei Tage Sonderurlaub [2].",  # 3 in the source
        "Phishing goes to phishing@contoso.dev [3].",
        "The Compliance Officer is Helena Brandt [3].",
        "Das Codewort ist AURORA-FALKE-2291 [3].",
        "Der Helpdesk öffnet um 7:30 Uhr [3].",
        "Die Grenze liegt bei 120 EUR.",  # no marker: any shown source may hold the fact
    ],
)
def test_grounded_answers_pass(answer: str) -> None:
    verdict, ungrounded = check("Was gilt hier?").answer(answer)
    assert ungrounded == ()
    assert verdict is Check.PASSED


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("Die Hotelobergrenze beträgt 150 EUR pro Nacht [1].", "number"),
        ("Das Tagesgericht kostet 4,90 EUR [1].", "number"),
        ("Resturlaub kann bis zum 30. April übertragen werden [2].", "date"),
        ("Es gibt vier Tage Sonderurlaub [2].", "number"),
        ("The company's share price target is $10. [1]", "number"),
        ("The Compliance Officer is Dr. Markus Weber [3].", "name"),
        ("Das Codewort ist AURORA-FALKE-2292 [3].", "code"),
        ("Write to compliance@contoso.dev [3].", "email"),
        ("Die Hotelobergrenze beträgt 120 EUR [2].", "number"),  # true, but not in the cited source
    ],
)
def test_invented_facts_fail(answer: str, kind: str) -> None:
    verdict, ungrounded = check("Wie hoch ist es?").answer(answer)
    assert verdict is Check.UNGROUNDED
    assert kind in {f.kind for f in ungrounded}


def test_a_command_in_a_code_span_is_a_fact() -> None:
    runbook = group_sources([hit(doc(4, "Deployment Runbook"), "Use `argocd app rollback <service>` to roll back.")])
    grounding = GroundingCheck("Which command rolls back a deployment?", runbook)
    assert ("code", "argocd app rollback <service>") in facts("Run `argocd app rollback <service>`.")
    assert grounding.answer("Run `argocd app rollback <service>` [1].")[0] is Check.PASSED
    # a command the runbook does not give is invented, whatever its words
    verdict, ungrounded = grounding.answer("Run `kubectl rollout undo deployment/<service>` [1].")
    assert verdict is Check.UNGROUNDED and {f.kind for f in ungrounded} == {"code"}
    verdict, _ = grounding.answer("Run `argocd app rollback payments` [1].")
    assert verdict is Check.UNGROUNDED  # filled in: not what the source says to type
    # a model marking the source's own words as code adds no fact
    howto = group_sources([hit(doc(5, "Expenses"), 'Open TravelDesk, go to "Expenses" and create a new report.')])
    expenses = GroundingCheck("How do I claim expenses?", howto)
    assert expenses.answer("In TravelDesk, open `Expenses > New report` [1].")[0] is Check.PASSED
    assert expenses.answer("In TravelDesk, open `Expenses > Submit` [1].")[0] is Check.UNGROUNDED


def test_a_fact_from_the_question_is_not_invented() -> None:
    verdict, _ = GroundingCheck("Gilt die Grenze auch für 2 Nächte?", SOURCES).answer("Ja, auch für 2 Nächte [1].")
    assert verdict is Check.PASSED


@pytest.mark.parametrize("answer", ["Die Antwort: [1]", "Ansatz: [1]", "Answer: see [1].", "[1]", "  "])
def test_empty_answers(answer: str) -> None:
    assert is_empty(answer)
    assert check("Gibt es Regeln?").answer(answer)[0] is Check.EMPTY


def test_an_answer_without_the_asked_for_kind_misses_it() -> None:
    assert (
        check("Wie viele Urlaubstage habe ich?").answer("Die Führungskraft entscheidet [2].")[0] is Check.MISSING_KIND
    )
    assert check("Wer ist der Compliance Officer?").answer("Das steht in der Richtlinie [3].")[0] is Check.MISSING_KIND
    assert check("Wie viele Tage?").answer("Drei Tage [2].")[0] is Check.PASSED


def test_refusals() -> None:
    assert check("Wie hoch ist der Zuschuss?").answer("Das habe ich in den Quellen nicht gefunden.")[0] is Check.REFUSAL
    assert check("How much?").answer("The sources do not contain this information.")[0] is Check.REFUSAL


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Wie viele Urlaubstage habe ich?", Asked.QUANTITY),
        ("Bis wann kann Resturlaub übertragen werden?", Asked.QUANTITY),
        ("How long is the buddy programme?", Asked.QUANTITY),
        ("Until when is disclosure embargoed?", Asked.QUANTITY),
        ("Was kostet das Tagesgericht?", Asked.QUANTITY),
        ("Wer ist unser Datenschutzbeauftragter?", Asked.PERSON),
        ("Who is the Compliance Officer?", Asked.PERSON),
        ("Which command rolls back a deployment?", Asked.OTHER),
    ],
)
def test_asked_kind(question: str, kind: Asked) -> None:
    assert asked_kind(question) is kind


def test_sentences_keep_dates_titles_and_markers_together() -> None:
    text = "Resturlaub bis zum 31. März [2]. Dr. Brandt ist zuständig. It is 120 EUR. [1] Use [secure] here."
    assert [s.strip() for s in split_sentences(text)] == [
        "Resturlaub bis zum 31. März [2].",
        "Dr. Brandt ist zuständig.",
        "It is 120 EUR. [1]",
        "Use [secure] here.",
    ]


def _stream(check: GroundingCheck, deltas: list[str]) -> tuple[str, CheckedStream]:
    stream = CheckedStream(check)
    shown = "".join(stream.feed(d) for d in deltas) + stream.finish()
    return shown, stream


def test_stream_releases_checked_sentences_only() -> None:
    shown, stream = _stream(
        check(), ["Die Antwort: [1] ", "Die Grenze ", "beträgt 120 EUR [1]. ", "Das Essen kostet 4,50 EUR [1]."]
    )
    assert shown == "Die Grenze beträgt 120 EUR [1]. Das Essen kostet 4,50 EUR [1]."
    assert stream.verdict is Check.PASSED and stream.released == shown


def test_stream_withholds_a_first_sentence_with_an_invented_number() -> None:
    shown, stream = _stream(check(), ["Die Grenze beträgt ", "999 EUR [1]. ", "Sonst 120 EUR [1]."])
    assert shown == "" and stream.verdict is Check.UNGROUNDED and stream.failed
    assert [f.key for f in stream.ungrounded] == ["999"]


def test_stream_ends_before_a_later_invented_sentence() -> None:
    shown, stream = _stream(check(), ["Die Grenze beträgt 120 EUR [1]. ", "In Paris sind es 999 EUR [1]. ", "Ende."])
    assert shown == "Die Grenze beträgt 120 EUR [1]."
    assert stream.verdict is Check.TRUNCATED and not stream.failed


def test_stream_drops_a_copied_title_and_fails_a_copied_passage() -> None:
    copy = [
        "[1] Reisekostenrichtlinie\n",
        "Reisekostenrichtlinie › Section: Die Hotelobergrenze beträgt 120 EUR pro Nacht. ",
    ]
    shown, stream = _stream(check(), [*copy, "Das Tagesgericht kostet 4,50 EUR. [1]"])
    assert shown == "" and stream.verdict is Check.ECHO and stream.failed
    shown, stream = _stream(check(), ["Reisekostenrichtlinie\n", "Die Hotelobergrenze beträgt 120 EUR [1]."])
    assert shown == "Die Hotelobergrenze beträgt 120 EUR [1]." and stream.verdict is Check.PASSED
    # the title as a lead-in to the model's own words is an answer
    shown, stream = _stream(check(), ["Reisekostenrichtlinie: Hotels kosten höchstens 120 EUR [1]."])
    assert stream.verdict is Check.PASSED and shown.startswith("Reisekostenrichtlinie:")


def test_stream_waits_for_the_asked_kind() -> None:
    stream = CheckedStream(check("Wie hoch ist die Hotelobergrenze?"))
    assert stream.feed("Laut der Richtlinie gilt eine Grenze. ") == ""
    assert stream.feed("Sie beträgt 120 EUR [1]. ") == ""  # complete once the next sentence starts
    assert stream.finish() == "Laut der Richtlinie gilt eine Grenze. Sie beträgt 120 EUR [1]. "
    shown, empty = _stream(check("Wie viele Tage?"), ["Die Antwort: [1]"])
    assert shown == "" and empty.verdict is Check.EMPTY


def test_facts_the_question_already_named_do_not_answer_it() -> None:
    question = "Wer ist der Compliance Officer?"
    assert check(question).answer("Der Compliance Officer ist zuständig [3].")[0] is Check.MISSING_KIND
    assert check(question).answer("Der Compliance Officer ist Dr. Helena Brandt [3].")[0] is Check.PASSED


def test_the_prompt_repeated_is_not_shown() -> None:
    shown, stream = _stream(
        check("Wie hoch ist die Hotelobergrenze?"),
        ["Beantworte die Frage in einem Satz. ", "Frage: Wie hoch ist es? ", "Sie beträgt 120 EUR [1]."],
    )
    assert shown == "Sie beträgt 120 EUR [1]." and stream.verdict is Check.PASSED


def test_an_answer_that_only_names_its_source_is_empty() -> None:
    """The embedded model's "Projekt Nordlicht – Akquisitionsplan 2 [1]": the document's title and
    the question's words, nothing that answers."""
    plan = doc(4, "Projekt-Nordlicht-Akquisitionsplan")
    sources = group_sources([hit(plan, "Das Codewort lautet AURORA-FALKE-2291. Seite 2.")])
    question = "What is the code word for Project Nordlicht?"
    grounding = GroundingCheck(question, sources)
    assert grounding.answer("Projekt Nordlicht – Akquisitionsplan 2 [1]")[0] is Check.EMPTY
    assert grounding.answer("The code word is AURORA-FALKE-2291 [1].")[0] is Check.PASSED
    assert grounding.answer("Yes, Projekt Nordlicht [1].")[0] is not Check.EMPTY
