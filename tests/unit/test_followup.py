"""Follow-up rewriting: which questions need the conversation, the deterministic fallback, and the
checks a model's rewrite must pass (with fake models, no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from answering.followup import (
    FollowupRewriter,
    Rewrite,
    RewriteMethod,
    RewriteReason,
    context_questions,
    fallback_question,
    needs_history,
    validate_rewrite,
)
from state.conversations import Turn

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def conversation(*questions: str) -> list[Turn]:
    turns = []
    for question in questions:
        turns += [Turn("user", question, NOW), Turn("assistant", "Laut Quelle [1] sind es 30 Tage.", NOW)]
    return turns


class ScriptedModel:
    """Streams a fixed reply in pieces and records the prompts it was given."""

    name = "scripted"

    def __init__(self, reply: str, delay_s: float = 0.0) -> None:
        self.reply = reply
        self.delay_s = delay_s
        self.prompts: list[list[dict[str, str]]] = []

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        self.prompts.append(messages)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        for i in range(0, len(self.reply), 7):
            yield self.reply[i : i + 7]

    async def close(self) -> None:
        return None


class BrokenModel:
    """Fails the way a model server does: at the first read of the stream."""

    name = "broken"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        raise self.error
        yield ""  # pragma: no cover - makes this an async generator

    async def close(self) -> None:
        return None


def rewrite(model: object, question: str, history: Sequence[Turn], language: str, **kwargs: float) -> Rewrite:
    rewriter = FollowupRewriter(model, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(rewriter.standalone(question, history, language))


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Und bei Teilzeit?",
        "Gilt das auch im Ausland?",
        "Wie erreiche ich ihn?",
        "Gibt es dort auch Duschen?",
        "Ab wann wird die ausgezahlt?",
        "Das kostet wie viel?",
        "Was ist mit Praktikanten?",
        "In München?",
        "Does that also apply in my first months?",
        "What about part-time employees?",
        "How long is it valid?",
        "Can I reuse old ones?",
        "And in London?",
        "Who hands them out?",
    ],
)
def test_follow_ups_need_the_conversation(question: str) -> None:
    assert needs_history(question)


@pytest.mark.parametrize(
    "question",
    [
        "Was kostet das Tagesgericht in der Kantine?",
        "Wer ist unser Datenschutzbeauftragter?",
        "Wie viele Tage Sonderurlaub gibt es bei der Geburt eines Kindes?",
        "Bis zu welchem Wert darf ich Geschenke annehmen?",
        "What is the minimum password length?",
        "Is there a budget for home office furniture?",
        "Is it possible to carry over vacation days?",
        "Is there a form that I need for a lost receipt?",
        "Which clearing account is used for unresolved items in the bank reconciliation?",
        "What are the opening hours of the IT helpdesk?",  # an acronym, not the pronoun "it"
    ],
)
def test_questions_that_name_their_subject_stand_alone(question: str) -> None:
    assert not needs_history(question)


def test_without_history_the_question_is_used_as_is() -> None:
    model = ScriptedModel("Wie viele Urlaubstage habe ich bei Teilzeit?")
    result = rewrite(model, "Und bei Teilzeit?", [], "de")
    assert result == Rewrite("Und bei Teilzeit?", RewriteMethod.AS_IS, RewriteReason.NO_HISTORY)
    assert result.method == "as_is"
    assert model.prompts == []


def test_assistant_turns_alone_are_no_history() -> None:
    answer_only = [Turn("assistant", "Hallo! Wie kann ich helfen?", NOW)]
    assert rewrite(None, "Und bei Teilzeit?", answer_only, "de").reason == RewriteReason.NO_HISTORY


def test_a_standalone_question_after_history_is_left_alone_and_the_model_not_asked() -> None:
    model = ScriptedModel("Was kostet die Kantine bei Teilzeit?")
    history = conversation("Wie viele Urlaubstage habe ich?")
    result = rewrite(model, "Was kostet das Tagesgericht in der Kantine?", history, "de")
    assert result == Rewrite(
        "Was kostet das Tagesgericht in der Kantine?", RewriteMethod.AS_IS, RewriteReason.STANDALONE
    )
    assert model.prompts == []


# --- the fallback ------------------------------------------------------------------------------


def test_fallback_is_the_subject_words_of_the_previous_question_and_the_follow_up() -> None:
    result = rewrite(None, "Und bei Teilzeit?", conversation("Wie viele Urlaubstage habe ich?"), "de")
    assert result == Rewrite("Urlaubstage Teilzeit", RewriteMethod.FALLBACK, RewriteReason.NO_MODEL)


def test_fallback_drops_anaphora_and_repeats() -> None:
    query = fallback_question("Does that also apply to the learning budget?", ["How large is the learning budget?"])
    assert query == "large learning budget"


def test_fallback_forms() -> None:
    context = ["Wie hoch ist die Hotelobergrenze?"]
    assert fallback_question("Und in München?", context, "context_words") == "Hotelobergrenze Und in München?"
    assert (
        fallback_question("Und in München?", context, "concatenated")
        == "Wie hoch ist die Hotelobergrenze? Und in München?"
    )


def test_context_reaches_back_over_follow_ups_to_the_question_that_named_the_subject() -> None:
    history = conversation("Wann öffnet die Kantine?", "Wie viele Urlaubstage habe ich?", "Und bei Teilzeit?")
    assert context_questions(history) == ["Wie viele Urlaubstage habe ich?", "Und bei Teilzeit?"]
    result = rewrite(None, "Und bei Schwerbehinderung?", history, "de")
    assert result.question == "Urlaubstage Teilzeit Schwerbehinderung"


# --- the model's rewrite -----------------------------------------------------------------------


def test_a_good_rewrite_is_used() -> None:
    model = ScriptedModel("Wie viele Urlaubstage habe ich bei Teilzeit?\n\nNoch etwas")
    result = rewrite(model, "Und bei Teilzeit?", conversation("Wie viele Urlaubstage habe ich?"), "de")
    assert result == Rewrite("Wie viele Urlaubstage habe ich bei Teilzeit?", RewriteMethod.LLM, RewriteReason.REWRITTEN)
    prompt = model.prompts[0][-1]["content"]
    assert "Wie viele Urlaubstage habe ich?" in prompt and "Und bei Teilzeit?" in prompt
    assert "Laut Quelle" not in prompt  # assistant turns are not sent


def test_the_label_the_prompt_ends_with_and_list_markers_are_dropped() -> None:
    model = ScriptedModel("Standalone question: Does the learning budget also apply in my first months?")
    history = conversation("How large is the personal learning budget per year?")
    result = rewrite(model, "Does that also apply in my first months?", history, "en")
    assert result.method == RewriteMethod.LLM
    assert result.question == "Does the learning budget also apply in my first months?"


@pytest.mark.parametrize(
    "output",
    [
        "",
        "Vorherige Frage: Wie viele Urlaubstage habe ich?",  # a role label: the prompt echoed
        "Wie viele Urlaubstage habe ich bei Teilzeit [1]?",  # a source marker
        "### Response: Wie viele Urlaubstage bei Teilzeit?",
        "Wann öffnet die Bibliothek am Samstag?",  # the prompt's example copied
        "Wie viele Urlaubstage habe ich?",  # the previous question, follow-up ignored
        "Teilzeit ist ein Arbeitsmodell.",  # not a question
        "Wie viele Tage bei Teilzeit?",  # drops the previous question's subject
        "How many vacation days do I get when working part-time (Teilzeit)?",  # wrong language
        "Wie viele Urlaubstage habe ich bei Teilzeit, und wie wird das im Eintrittsjahr, bei einer "
        "Schwerbehinderung, bei Krankheit und beim Austritt gerechnet?",  # far longer than the inputs
    ],
)
def test_unusable_rewrites_fall_back(output: str) -> None:
    model = ScriptedModel(output)
    result = rewrite(model, "Und bei Teilzeit?", conversation("Wie viele Urlaubstage habe ich?"), "de")
    assert result == Rewrite("Urlaubstage Teilzeit", RewriteMethod.FALLBACK, RewriteReason.INVALID_OUTPUT)


def test_validation_rejects_a_repeat_but_accepts_a_question_without_question_mark() -> None:
    context = ["What are the opening hours of the IT helpdesk?"]
    assert (
        validate_rewrite("1. What are the opening hours of the IT helpdesk?", "And outside those hours?", context, "en")
        is None
    )
    accepted = validate_rewrite(
        "What happens outside the opening hours of the IT helpdesk", "And outside those hours?", context, "en"
    )
    assert accepted == "What happens outside the opening hours of the IT helpdesk"


@pytest.mark.parametrize("error", [ConnectionError("refused"), RuntimeError("500"), ValueError("bad json")])
def test_any_model_failure_falls_back(error: Exception) -> None:
    result = rewrite(BrokenModel(error), "Und bei Teilzeit?", conversation("Wie viele Urlaubstage habe ich?"), "de")
    assert result == Rewrite("Urlaubstage Teilzeit", RewriteMethod.FALLBACK, RewriteReason.MODEL_FAILED)


def test_a_slow_model_times_out_into_the_fallback() -> None:
    model = ScriptedModel("Wie viele Urlaubstage habe ich bei Teilzeit?", delay_s=5)
    history = conversation("Wie viele Urlaubstage habe ich?")
    result = rewrite(model, "Und bei Teilzeit?", history, "de", timeout_s=0.05)
    assert result == Rewrite("Urlaubstage Teilzeit", RewriteMethod.FALLBACK, RewriteReason.MODEL_TIMEOUT)


def test_a_model_that_rambles_is_cut_off_and_rejected() -> None:
    model = ScriptedModel("Wie viele Urlaubstage " * 200)
    result = rewrite(model, "Und bei Teilzeit?", conversation("Wie viele Urlaubstage habe ich?"), "de")
    assert result.reason == RewriteReason.INVALID_OUTPUT
