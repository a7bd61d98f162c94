"""What the answer pipeline produces: the final ``Answer``, text deltas, and their codes.

Channels turn these into messages; ``answer_json`` is the one JSON shape of an answer (``/api/ask``
and ``app.py ask --json``).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from answering.citations import Citation
from retrieval.types import DocumentRef, Hit


class Outcome(StrEnum):
    """Why an answer is what it is; logged, counted in metrics and written to the audit trail."""

    ANSWERED = "answered"
    NO_MATCH = "no_match"
    NO_INDEX = "no_index"
    LLM_DOWN = "llm_down"
    PERMISSION_CHECK_DOWN = "permission_check_down"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    UNKNOWN_USER = "unknown_user"
    DIRECTORY_DOWN = "directory_down"
    ROOM_UNKNOWN = "room_unknown"
    AUDIT_FAILED = "audit_failed"


class WithheldReason(StrEnum):
    """Why a matching document was not used."""

    REVOKED = "revoked"
    """The answer-time check found that not every reader may read it any more."""
    ROOM = "room"
    """Not every member of a shared room may read it."""


@dataclass(frozen=True)
class Withheld:
    """A document that matched but was not used, and why."""

    doc: DocumentRef
    reason: WithheldReason


@dataclass(frozen=True)
class Answer:
    """The final answer of one question."""

    text: str
    citations: list[Citation]
    language: str
    outcome: Outcome
    model: str = ""
    retrieved: list[Hit] = field(default_factory=list)
    latency_s: float = 0.0
    withheld: tuple[Withheld, ...] = ()
    followup: Answer | None = None
    """Shared rooms: the asker's fuller answer, to be delivered privately (never in the room)."""
    answer_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Names this answer in the audit trail and in feedback about it."""
    grounding: str = ""
    """The grounding check's verdict on the model's answer (``answering.grounding.Check``); empty
    when no model answer was asked for (no match, no index, …)."""
    extractive: bool = False
    """The text is quoted from the passages (the model's answer failed the check, or the model is down)."""


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer text as it is generated."""

    text: str


AnswerEvent = TextDelta | Answer


def answer_json(answer: Answer, conversation_id: str) -> dict[str, Any]:
    """The JSON form of an answer, as ``/api/ask`` returns it."""
    return {
        "answer": answer.text,
        "citations": [asdict(c) for c in answer.citations],
        "outcome": str(answer.outcome),
        "language": answer.language,
        "model": answer.model,
        "conversation_id": conversation_id,
        "answer_id": answer.answer_id,
    }
