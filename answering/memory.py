"""Conversation memory: what was asked and answered in a conversation, and follow-ups that name
nothing turned into standalone questions before retrieval.

History is kept per conversation in a ``state.ConversationStore`` (SQLite in ``DATA_DIR`` by
default, so a restart keeps it), bounded by turns, a token budget and a TTL. In a shared room it
holds only what the room was shown: the room answer, never the asker's private follow-up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from answering.answer import Answer, Outcome
from answering.citations import Citation
from state import ConversationStore, Turn

log = logging.getLogger(__name__)

REMEMBERED = (Outcome.ANSWERED, Outcome.NO_MATCH)


class Rewritten(Protocol):
    @property
    def question(self) -> str: ...


class Rewriter(Protocol):
    """Turns a follow-up into a standalone question, given the conversation so far
    (``answering.followup.FollowupRewriter``)."""

    async def standalone(self, question: str, history: Sequence[Turn], language: str) -> Rewritten: ...


def cited_ref(citation: Citation) -> str:
    """How an assistant turn remembers a cited document: its title and link."""
    return f"{citation.title}\t{citation.url}"


def parse_cited_ref(ref: str) -> tuple[str, str]:
    title, _, url = ref.partition("\t")
    return title, url


class ConversationMemory:
    """History per conversation, and the standalone question for retrieval."""

    def __init__(self, store: ConversationStore, rewriter: Rewriter | None = None) -> None:
        self._store = store
        self._rewriter = rewriter

    @staticmethod
    def key(room_kind: str, conversation_id: str) -> str | None:
        """A conversation's history key; ``None`` when there is no conversation (the CLI)."""
        return f"{room_kind}:{conversation_id}" if conversation_id else None

    async def history(self, key: str | None) -> list[Turn]:
        if key is None:
            return []
        try:
            return await self._store.history(key)
        except Exception:  # noqa: BLE001 - without history the question is answered as it is
            log.warning("conversation history unavailable; answering without it", exc_info=True)
            return []

    async def standalone(self, key: str | None, question: str, language: str) -> str:
        """The question to retrieve with: ``question`` itself, or rewritten from the history."""
        history = await self.history(key)
        if not history or self._rewriter is None:
            return question
        rewrite = await self._rewriter.standalone(question, history, language)
        if rewrite.question != question:
            log.info("follow-up retrieved as a standalone question")
        return rewrite.question

    async def remember(self, key: str | None, question: str, answer: Answer) -> None:
        if key is None or answer.outcome not in REMEMBERED:
            return
        now = datetime.now(UTC)
        turns = [
            Turn("user", question, now),
            Turn("assistant", answer.text, now, tuple(cited_ref(c) for c in answer.citations)),
        ]
        try:
            await self._store.append(key, turns)
        except Exception:  # noqa: BLE001 - the answer was given; only the memory of it is lost
            log.warning("could not store the conversation history", exc_info=True)

    async def forget(self, key: str | None) -> None:
        if key is not None:
            await self._store.clear(key)

    async def last_sources(self, key: str | None) -> list[tuple[str, str]]:
        """(title, url) of what the last answer in this conversation cited."""
        for turn in reversed(await self.history(key)):
            if turn.role == "assistant":
                return [parse_cited_ref(ref) for ref in turn.cited]
        return []
