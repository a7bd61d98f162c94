"""Conversation history: the turns a follow-up question is read against.

A history is addressed by an opaque key. The caller builds it (channel + conversation id, and
e.g. a room's shared history and a person's private one are different keys); the store never
parses it. What :meth:`ConversationStore.history` returns is bounded three ways, in this order:
turns older than the TTL are left out, then only the last ``max_turns`` are kept, then the oldest
of those are dropped until the rest fit the token budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

Role = Literal["user", "assistant"]
ROLES: tuple[Role, ...] = ("user", "assistant")

CHARS_PER_TOKEN = 4
"""Token estimate: ``ceil(len(text) / 4)``, the usual rule of thumb for Llama-family tokenizers on
English; German runs nearer 3.5 characters a token, so a budget is a little generous there. It is
a budget for the prompt, not a count; no tokenizer is loaded for it."""
TURN_OVERHEAD_TOKENS = 4
"""What a chat template adds per message (role markers, separators)."""


def approx_tokens(text: str) -> int:
    """Estimated prompt tokens of one turn with this text (see :data:`CHARS_PER_TOKEN`)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) + TURN_OVERHEAD_TOKENS


@dataclass(frozen=True)
class Turn:
    """One message of a conversation. ``time`` is timezone-aware; ``cited`` are the document ids
    an assistant turn cited (opaque strings, as the caller identifies documents)."""

    role: Role
    text: str
    time: datetime
    cited: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")
        if self.time.tzinfo is None:
            raise ValueError("Turn.time must be timezone-aware")
        object.__setattr__(self, "cited", tuple(self.cited))


@dataclass(frozen=True)
class HistoryLimits:
    """How much history is kept and handed back. Stores trim to ``max_turns`` on append and drop
    turns older than ``ttl``; ``max_tokens`` is applied on read."""

    max_turns: int = 10
    max_tokens: int = 1500
    ttl: timedelta = timedelta(hours=8)

    def __post_init__(self) -> None:
        if self.max_turns < 1 or self.max_tokens < 1 or self.ttl <= timedelta(0):
            raise ValueError("max_turns, max_tokens and ttl must be positive")


def bound_history(turns: Sequence[Turn], limits: HistoryLimits, now: datetime) -> list[Turn]:
    """The part of ``turns`` (oldest first) that :meth:`ConversationStore.history` returns.

    Shared by every implementation so that they bound alike. The newest turn that does not fit
    the token budget ends the history: nothing older than it is returned, so there are no gaps.
    """
    cutoff = now - limits.ttl
    recent = [turn for turn in turns if turn.time > cutoff][-limits.max_turns :]
    kept: list[Turn] = []
    budget = limits.max_tokens
    for turn in reversed(recent):
        budget -= approx_tokens(turn.text)
        if budget < 0:
            break
        kept.append(turn)
    kept.reverse()
    return kept


class ConversationStore(Protocol):
    """Per-conversation history, shared by every replica that may get the next turn."""

    async def history(self, conversation_key: str) -> list[Turn]:
        """The conversation's recent turns, oldest first, bounded as the module says."""
        ...

    async def append(self, conversation_key: str, turns: Sequence[Turn]) -> None:
        """Add turns (usually a question and its answer) in the order given, then trim."""
        ...

    async def clear(self, conversation_key: str) -> None:
        """Forget the conversation (a user's "start over"); unknown keys are fine."""
        ...
