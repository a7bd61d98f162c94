"""Streaming only what passed the grounding check: sentences are withheld until they are checked.

The model's cleaned text arrives in deltas; each complete sentence is checked against its
sources (``GroundingCheck.sentence``). Nothing is released until the text so far is a whole
answer (not empty, not a refusal, with the asked-for kind of fact); from then on every further
sentence is released as soon as it passes. So the streamed text is always the checked text: the
Teams final message and the SSE ``answer`` event carry exactly what was streamed, and nothing
has to be taken back.

* A failing sentence before anything was released rejects the whole model answer (``failed``).
* A failing sentence after a release ends the answer there (``Check.TRUNCATED``): what was shown
  stays true, the rest is dropped.
"""

from __future__ import annotations

import re

from answering.facts import Fact
from answering.grounding import Check, GroundingCheck, is_echo, is_empty, sentence_end

_LABEL = re.compile(
    r"^\s*(?:(?:die|the)\s+)?(?:antwort|answer|ansatz|lösung)(?:\s+(?:lautet|is))?\s*:\s*(?:\[\d{1,3}\]\s*)?",
    re.IGNORECASE,
)
"""A leading label small models put before the answer ("Die Antwort: [1] …")."""


class CheckedStream:
    """Feeds model text through the grounding check; ``feed`` and ``finish`` return what may be shown."""

    def __init__(self, check: GroundingCheck) -> None:
        self.check = check
        self._check = check
        self._buffer = ""
        self._pending: list[str] = []
        self._facts: list[Fact] = []
        self.released = ""
        self.verdict: Check | None = None
        """Set once decided: ``PASSED``/``TRUNCATED`` (text released) or a failure (nothing released)."""
        self.ungrounded: tuple[Fact, ...] = ()

    @property
    def done(self) -> bool:
        """No further model text can change the outcome (stop reading the model)."""
        return self.verdict is not None and self.verdict is not Check.PASSED

    @property
    def failed(self) -> bool:
        return self.verdict is not None and self.verdict not in (Check.PASSED, Check.TRUNCATED)

    def feed(self, text: str) -> str:
        if self.done:
            return ""
        self._buffer += text
        out = ""
        while (end := sentence_end(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[:end], self._buffer[end:]
            out += self._sentence(sentence)
            if self.done:
                break
        return out

    def finish(self) -> str:
        """The end of the model's text: the last sentence, then the verdict on the whole answer."""
        if self.done:
            return ""
        out = ""
        if self._buffer.strip():
            out += self._sentence(self._buffer)
            self._buffer = ""
        if self.verdict is None:
            self.verdict = self._check.complete("".join(self._pending), self._facts)
            if self.verdict is Check.PASSED:
                out += self._release()
        return out

    def _sentence(self, sentence: str) -> str:
        if not sentence.strip():
            self._buffer_whitespace(sentence)
            return ""
        copied = self._check.copies_prompt(sentence)
        if copied == "title":
            return ""  # the source's heading line, repeated before the answer
        if copied == "passage":
            self.verdict = Check.TRUNCATED if self.released else Check.ECHO
            self._pending = []
            return ""
        result = self._check.sentence(sentence)
        if not result.ok:
            self.ungrounded = result.ungrounded
            self.verdict = Check.TRUNCATED if self.released else Check.UNGROUNDED
            self._pending = []
            return ""
        if is_echo(sentence) or (not self.released and not self._pending and is_empty(sentence)):
            return ""  # a leading label ("Die Antwort: [1]") or the prompt repeated is not worth showing
        self._pending.append(sentence)
        self._facts.extend(result.facts)
        if self.released:
            return self._release()
        verdict = self._check.complete("".join(self._pending), self._facts)
        if verdict is Check.PASSED:
            self.verdict = Check.PASSED
            return self._release()
        if verdict is Check.REFUSAL:
            self.verdict = Check.REFUSAL
        return ""

    def _buffer_whitespace(self, text: str) -> None:
        if self._pending:
            self._pending[-1] += text

    def _release(self) -> str:
        text = "".join(self._pending)
        if not self.released:
            text = _LABEL.sub("", text.lstrip())
        self._pending = []
        self.released += text
        return text
