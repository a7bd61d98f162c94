"""Feedback on answers (like/dislike and a comment), and which answer a sent message carries.

A Teams feedback invoke names only the message it rates, so the bot remembers, for every answer
message it sends, the audit record id, the cited documents and the asker's pseudonym
(:meth:`FeedbackStore.remember_message`), and looks them up when feedback arrives
(:meth:`FeedbackStore.message_answer`). Both live in one store because they are written and read
together and share a retention story.

Message keys are opaque and chosen by the caller. Teams activity ids are unique only within a
conversation, so callers combine the conversation id with the activity id.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Reaction = Literal["like", "dislike"]
REACTIONS: tuple[Reaction, ...] = ("like", "dislike")
Surface = Literal["teams", "web"]
SURFACES: tuple[Surface, ...] = ("teams", "web")


@dataclass(frozen=True)
class Feedback:
    """One person's rating of one answer.

    ``answer_id`` is the audit record id of the answer; ``asker`` is the pseudonym of the person
    who gave the feedback (as the audit trail writes it, never an Entra id); ``message_key`` the
    rated message (empty for the web part, which rates by answer id); ``cited`` the documents the
    answer cited. A reaction other than ``like``/``dislike`` is a :class:`ValueError`.
    """

    answer_id: str
    reaction: Reaction
    time: datetime
    comment: str = ""
    asker: str = ""
    message_key: str = ""
    cited: tuple[str, ...] = ()
    surface: Surface = "teams"

    def __post_init__(self) -> None:
        if self.reaction not in REACTIONS:
            raise ValueError(f"reaction must be one of {REACTIONS}, not {self.reaction!r}")
        if self.surface not in SURFACES:
            raise ValueError(f"surface must be one of {SURFACES}, not {self.surface!r}")
        if self.time.tzinfo is None:
            raise ValueError("Feedback.time must be timezone-aware")
        if not self.answer_id:
            raise ValueError("Feedback.answer_id must not be empty")
        object.__setattr__(self, "cited", tuple(self.cited))


@dataclass(frozen=True)
class AnsweredMessage:
    """What a sent answer message stands for: its audit record, cited documents and asker."""

    message_key: str
    answer_id: str
    time: datetime
    cited: tuple[str, ...] = ()
    asker: str = ""

    def __post_init__(self) -> None:
        if not self.message_key or not self.answer_id:
            raise ValueError("message_key and answer_id must not be empty")
        if self.time.tzinfo is None:
            raise ValueError("AnsweredMessage.time must be timezone-aware")
        object.__setattr__(self, "cited", tuple(self.cited))


class FeedbackStore(Protocol):
    """Feedback records (kept; an administrator reads them with ``app.py feedback``) and the
    message → answer index (kept for a retention period, then pruned)."""

    async def add(self, feedback: Feedback) -> None:
        """Store one feedback record. Records are never merged: a changed mind is a new record."""
        ...

    async def list(self, since: datetime | None = None) -> builtins.list[Feedback]:
        """Feedback with ``time >= since`` (all when ``None``), oldest first."""
        ...

    async def remember_message(self, message: AnsweredMessage) -> None:
        """Remember what a sent message carries; remembering a key again replaces it."""
        ...

    async def message_answer(self, message_key: str) -> AnsweredMessage | None:
        """What ``message_key`` carries, or ``None`` if it was never remembered or was pruned."""
        ...
