"""Follow-ups that name nothing become standalone questions before retrieval.

"Und bei Teilzeit?" or "Does that also apply in my first months?" find nothing on their own. The
:class:`FollowupRewriter` first decides whether a question needs the conversation at all (cues
below); if it does, a small model rewrites it into one standalone question, and whatever the model
returns is checked before it is used. A model that fails, is slow or writes something unusable
falls back to a deterministic query: the subject words of the previous question(s) and of the
follow-up. Measured on ``bench/followups.json`` (``bench/followup_eval.py``, numbers in
docs/architecture.md).
Which questions need the conversation is decided in ``answering.followup_cues``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from answering.followup_cues import QUESTION_OPENERS, needs_history, split_words, subject_words
from answering.language import detect_language
from answering.model import ChatModel
from retrieval.lexical import BilingualTokenizer
from state.conversations import Turn

log = logging.getLogger(__name__)

MAX_CONTEXT_QUESTIONS = 3
"""How far back the previous user questions are taken (while each one is itself a follow-up)."""
LENGTH_FACTOR = 3
"""A rewrite longer than this times the longer input (previous question, follow-up) is rejected."""
DEFAULT_TIMEOUT_S = 3.0

FallbackForm = Literal["keywords", "context_words", "concatenated"]
"""How the deterministic fallback combines the previous question(s) with the follow-up:
``keywords``: subject words of both ("Urlaubstage Teilzeit"); ``context_words``: subject words of
the previous question(s) and the follow-up as written; ``concatenated``: all questions as written."""


class RewriteMethod(StrEnum):
    """How the question to retrieve with was obtained."""

    AS_IS = "as_is"
    LLM = "llm"
    FALLBACK = "fallback"


class RewriteReason(StrEnum):
    """Why the rewriter did what it did (for logs and metrics; never contains text)."""

    NO_HISTORY = "no_history"
    STANDALONE = "standalone"
    REWRITTEN = "rewritten"
    NO_MODEL = "no_model"
    MODEL_FAILED = "model_failed"
    MODEL_TIMEOUT = "model_timeout"
    INVALID_OUTPUT = "invalid_output"


@dataclass(frozen=True)
class Rewrite:
    """The question to retrieve with and how it was obtained."""

    question: str
    method: RewriteMethod
    reason: RewriteReason


def context_questions(history: Sequence[Turn]) -> list[str]:
    """The previous user questions a follow-up refers to, oldest first: the last one, and before
    it as long as each is itself a follow-up (at most :data:`MAX_CONTEXT_QUESTIONS`)."""
    asked = [turn.text for turn in history if turn.role == "user" and turn.text.strip()]
    out: list[str] = []
    for text in reversed(asked):
        out.append(text.strip())
        if len(out) >= MAX_CONTEXT_QUESTIONS or not needs_history(text):
            break
    out.reverse()
    return out


def fallback_question(question: str, context: Sequence[str], form: FallbackForm = "keywords") -> str:
    """The deterministic standalone query for ``question`` after the ``context`` questions."""
    if form == "concatenated":
        return " ".join([*context, question.strip()])
    seen: set[str] = set()
    words = []
    for text in context:
        for word in subject_words(text):
            if word.lower() not in seen:
                seen.add(word.lower())
                words.append(word)
    if form == "context_words":
        return " ".join([*words, question.strip()])
    for word in subject_words(question):
        if word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return " ".join(words) or question.strip()


PROMPTS = {
    "de": (
        "Schreibe die Anschlussfrage so um, dass sie ohne das Gespräch verständlich ist. "
        "Antworte nur mit der einen Frage, auf Deutsch.",
        "Vorherige Frage: Wann öffnet die Bibliothek?\nAnschlussfrage: Und am Samstag?\n"
        "Eigenständige Frage: Wann öffnet die Bibliothek am Samstag?\n\n"
        "Vorherige Frage: {context}\nAnschlussfrage: {question}\nEigenständige Frage:",
    ),
    "en": (
        "Rewrite the follow-up question so that it can be understood without the conversation. "
        "Reply with the one question only, in English.",
        "Previous question: When does the library open?\nFollow-up: And on Saturday?\n"
        "Standalone question: When does the library open on Saturday?\n\n"
        "Previous question: {context}\nFollow-up: {question}\nStandalone question:",
    ),
}
"""Short on purpose: the embedded model is Gemma 3 270M. One example shows the shape."""

_OWN_LABEL = re.compile(
    r"^(?:\d+[.)]\s+|[-*•]\s+)?(?:(?:eigenständige frage|standalone question|frage|question)\s*:\s*)?", re.IGNORECASE
)
"""What may precede the question and is dropped: a list marker, the label our prompt ends with."""
_LABELS = re.compile(
    r"\[\d+\]|###|\b(system|user|assistant|instruction|response|antwort|answer|vorherige frage|"
    r"anschlussfrage|previous question|follow-up|eigenständige frage|standalone question)\s*:",
    re.IGNORECASE,
)


def _stems(text: str, tokenizer: BilingualTokenizer) -> set[str]:
    return {t for word in subject_words(text) for t in tokenizer.tokens(word)}


def validate_rewrite(output: str, question: str, context: Sequence[str], language: str) -> str | None:
    """The cleaned rewrite if it is usable as the standalone question, else ``None``.

    Usable: one line; a question (ends with "?" or opens like one); at most
    :data:`LENGTH_FACTOR` times the longer input; no source markers or role labels; in
    ``language``; it keeps a subject word of the follow-up (if it has any) and one of the
    previous question(s) (if they have any), and it is not just the previous question again.
    """
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    text = _OWN_LABEL.sub("", lines[0]).strip().strip("\"'`*„“”").strip()
    if not text or _LABELS.search(text):
        return None
    longest = max(len(question), *(len(c) for c in context)) if context else len(question)
    if len(text) > LENGTH_FACTOR * longest:
        return None
    words = split_words(text)
    if not text.endswith("?") and (not words or words[0].lower() not in QUESTION_OPENERS):
        return None
    if detect_language(text, hint=language) != language:
        return None
    tokenizer = BilingualTokenizer()
    stems = _stems(text, tokenizer)
    own = _stems(question, tokenizer)
    previous = _stems(" ".join(context), tokenizer)
    if own and not own & stems:
        return None
    if previous and not previous & stems:
        return None
    if context and _normal(text) == _normal(context[-1]) and own - previous:
        return None
    return text


def _normal(text: str) -> str:
    return " ".join(w.lower() for w in split_words(text))


class FollowupRewriter:
    """Turns a follow-up into the question to retrieve with.

    ``llm``: the model that rewrites; ``None`` uses the deterministic fallback only (measured
    better on the embedded Gemma 3 270M, see docs/architecture.md). ``timeout_s`` bounds the
    whole model call. ``max_chars`` stops reading a model that rambles.
    """

    def __init__(
        self,
        llm: ChatModel | None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        fallback_form: FallbackForm = "keywords",
        max_chars: int = 600,
    ) -> None:
        self._llm = llm
        self._timeout_s = timeout_s
        self._form: FallbackForm = fallback_form
        self._max_chars = max_chars

    async def standalone(self, question: str, history: Sequence[Turn], language: str) -> Rewrite:
        """The question to retrieve with for ``question`` asked after ``history`` (oldest first)."""
        question = question.strip()
        context = context_questions(history)
        if not context:
            return Rewrite(question, RewriteMethod.AS_IS, RewriteReason.NO_HISTORY)
        if not needs_history(question):
            return Rewrite(question, RewriteMethod.AS_IS, RewriteReason.STANDALONE)
        if self._llm is None:
            return self._fallback(question, context, RewriteReason.NO_MODEL)
        try:
            async with asyncio.timeout(self._timeout_s):
                output = await self._complete(self._llm, question, context, language)
        except TimeoutError:
            log.info("follow-up rewrite: model timed out after %.1f s", self._timeout_s)
            return self._fallback(question, context, RewriteReason.MODEL_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any exception from ChatModel.stream means "unavailable"
            log.info("follow-up rewrite: model unavailable: %s", type(exc).__name__)
            return self._fallback(question, context, RewriteReason.MODEL_FAILED)
        rewritten = validate_rewrite(output, question, context, language)
        if rewritten is None:
            log.info("follow-up rewrite: model output rejected")
            return self._fallback(question, context, RewriteReason.INVALID_OUTPUT)
        return Rewrite(rewritten, RewriteMethod.LLM, RewriteReason.REWRITTEN)

    def _fallback(self, question: str, context: Sequence[str], reason: RewriteReason) -> Rewrite:
        return Rewrite(fallback_question(question, context, self._form), RewriteMethod.FALLBACK, reason)

    async def _complete(self, llm: ChatModel, question: str, context: Sequence[str], language: str) -> str:
        system, user = PROMPTS.get(language, PROMPTS["en"])
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": user.format(context=" ".join(context), question=question)},
        ]
        stream = llm.stream(messages)
        parts: list[str] = []
        try:
            async for delta in stream:
                parts.append(delta)
                text = "".join(parts)
                if len(text) > self._max_chars or ("\n" in text.lstrip() and text.strip()):
                    break
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        text = "".join(parts).lstrip()
        return text.split("\n", 1)[0] if "\n" in text else text
