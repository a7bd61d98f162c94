"""The one entry point every channel uses: who asks, where, and what.

Resolves the asker to a principal through the directory (failing closed when it cannot), builds
the audience whose permissions apply, and runs the answer pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from access import Audience, DirectoryUnavailable, PrincipalResolver, UnknownUser
from access.principal import Principal
from answering import messages
from answering.language import detect_language
from answering.pipeline import Answer, AnswerEvent, AnswerService, normalise_question
from retrieval.types import Hit

log = logging.getLogger(__name__)

RoomKind = Literal["personal", "groupChat", "channel", "web", "cli"]


@dataclass(frozen=True)
class Room:
    """Where the answer will be read."""

    kind: RoomKind
    conversation_id: str = ""


class Assistant:
    """Answers for a person in a room."""

    def __init__(self, resolver: PrincipalResolver, answers: AnswerService) -> None:
        self.resolver = resolver
        self.answers = answers

    async def principal(self, user: str, tenant_id: str | None = None) -> Principal:
        """Raises ``UnknownUser`` or ``DirectoryUnavailable``."""
        return await self.resolver.resolve(user, tenant_id)

    async def audience(self, asker: Principal, room: Room) -> Audience:
        """Whose permissions apply. Today the asker's own in every room; see docs/architecture.md."""
        return Audience.of(asker)

    async def stream(
        self,
        user: str,
        question: str,
        room: Room,
        *,
        tenant_id: str | None = None,
        language_hint: str | None = None,
    ) -> AsyncIterator[AnswerEvent]:
        language = detect_language(normalise_question(question), language_hint)
        try:
            asker = await self.principal(user, tenant_id)
        except UnknownUser:
            log.info("unknown asker %s in tenant %s", user, tenant_id)
            yield Answer(messages.text("unknown_user", language), [], language, "unknown_user")
            return
        except DirectoryUnavailable as exc:
            log.warning("directory unavailable, answering without documents: %s", exc)
            yield Answer(messages.text("directory_down", language), [], language, "directory_down")
            return
        audience = await self.audience(asker, room)
        async for event in self.answers.stream(question, audience=audience, language_hint=language_hint):
            yield event

    async def answer(self, user: str, question: str, room: Room, **kwargs: str | None) -> Answer:
        async for event in self.stream(user, question, room, **kwargs):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("answer stream ended without an answer")

    async def search(self, user: str, query: str, k: int) -> list[Hit]:
        """Permitted chunks for ``user`` (no LLM). Raises like ``principal``."""
        asker = await self.principal(user)
        return await self.answers.search(query, audience=Audience.of(asker), k=k)
