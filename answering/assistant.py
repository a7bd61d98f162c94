"""The one entry point every channel uses: who asks, where, and what.

Resolves the asker to a principal through the directory (failing closed when it cannot), builds
the audience whose permissions apply, runs the answer pipeline and writes the audit record.

Rooms: in a 1:1 chat, the web part and the CLI the asker's own permissions apply. In a group chat
or channel the audience is every member of the room: the answer posted there draws only on
documents all of them may read. When documents only the asker may read would give a better
answer, the room answer says so and the full answer is attached as ``Answer.followup`` for the
channel to deliver privately (and to say in the room whether that worked). A room whose members cannot all be resolved uses no documents.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from access import Audience, DirectoryUnavailable, PrincipalResolver, UnknownUser
from access.principal import Principal
from answering import messages
from answering.answer import Answer, AnswerEvent, Outcome, TextDelta, Withheld, WithheldReason
from answering.language import detect_language
from answering.memory import ConversationMemory
from answering.metrics import AnswerMetrics
from answering.pipeline import AnswerService, QueryVector, normalise_question
from audit import AuditRecord, AuditTrail
from retrieval.types import Hit

log = logging.getLogger(__name__)

RoomKind = Literal["personal", "groupChat", "channel", "web", "cli"]
SHARED_ROOMS: frozenset[str] = frozenset({"groupChat", "channel"})


@dataclass(frozen=True)
class Room:
    """Where the answer will be read. ``members``: object ids of everyone who can read a shared
    room (the Teams roster); ``None`` when they could not be found out."""

    kind: RoomKind
    conversation_id: str = ""
    members: tuple[str, ...] | None = None

    @property
    def shared(self) -> bool:
        return self.kind in SHARED_ROOMS


class RoomUnknown(Exception):
    """Not every reader of a shared room could be resolved; the room gets no documents."""


class Assistant:
    """Answers for a person in a room."""

    def __init__(
        self,
        resolver: PrincipalResolver,
        answers: AnswerService,
        audit: AuditTrail | None = None,
        max_room_members: int = 1000,
        member_lookups: int = 8,
        metrics: AnswerMetrics | None = None,
        memory: ConversationMemory | None = None,
    ) -> None:
        self.resolver = resolver
        self.answers = answers
        self.audit = audit
        self.metrics = metrics or AnswerMetrics()
        self.memory = memory
        self._max_room_members = max_room_members
        self._lookups = asyncio.Semaphore(member_lookups)

    async def principal(self, user: str, tenant_id: str | None = None) -> Principal:
        """Raises ``UnknownUser`` or ``DirectoryUnavailable``."""
        with self.metrics.stages.time("identity"):
            return await self.resolver.resolve(user, tenant_id)

    async def audience(self, asker: Principal, room: Room) -> Audience:
        """Whose permissions apply: the asker's own, or (shared rooms) every member's.

        Raises ``RoomUnknown`` when the members of a shared room are not known or not all
        resolvable (a guest of another tenant, a too large room), ``DirectoryUnavailable``.
        """
        if not room.shared:
            return Audience.of(asker)
        if room.members is None:
            raise RoomUnknown("room members unknown")
        others = sorted({m.strip().lower() for m in room.members} - {asker.user_id, ""})
        if len(others) + 1 > self._max_room_members:
            raise RoomUnknown(f"room has {len(others) + 1} members (limit {self._max_room_members})")

        async def member(user_id: str) -> Principal:
            async with self._lookups:
                return await self.resolver.resolve(user_id, asker.tenant_id)

        try:
            with self.metrics.stages.time("identity"):
                principals = await asyncio.gather(*(member(m) for m in others))
        except UnknownUser as exc:
            raise RoomUnknown(f"a room member is not resolvable: {exc}") from exc
        return Audience((asker, *principals))

    async def stream(
        self,
        user: str,
        question: str,
        room: Room,
        *,
        tenant_id: str | None = None,
        language_hint: str | None = None,
        site: str | None = None,
    ) -> AsyncIterator[AnswerEvent]:
        """``site``: only that SharePoint site's documents (the web part's switch; not for shared rooms)."""
        language = detect_language(normalise_question(question), language_hint)
        try:
            asker = await self.principal(user, tenant_id)
        except UnknownUser:
            log.info("unknown asker %s in tenant %s", user, tenant_id)
            yield await self._audited(
                user,
                question,
                room,
                Answer(messages.text("unknown_user", language), [], language, Outcome.UNKNOWN_USER),
            )
            return
        except DirectoryUnavailable as exc:
            log.warning("directory unavailable, answering without documents: %s", exc)
            yield await self._audited(
                user,
                question,
                room,
                Answer(messages.text("directory_down", language), [], language, Outcome.DIRECTORY_DOWN),
            )
            return
        key = ConversationMemory.key(room.kind, room.conversation_id)
        query = await self.memory.standalone(key, question, language) if self.memory else question
        if room.shared:
            answer = await self._shared_room_answer(asker, question, query, room, language, language_hint)
            await self._remember(key, question, answer)
            yield answer
            return
        async for event in self.answers.stream(
            query, audience=Audience.of(asker), language_hint=language_hint, site=site
        ):
            if isinstance(event, TextDelta):
                yield event
                continue
            answer = await self._audited(asker.user_id, question, room, event)
            await self._remember(key, question, answer)
            yield answer

    async def _remember(self, key: str | None, question: str, answer: Answer) -> None:
        """A room's history holds what the room was shown; the private follow-up stays out."""
        if self.memory is not None:
            await self.memory.remember(key, question, answer)

    def pseudonym(self, user_id: str) -> str:
        """The asker as the audit trail names them (feedback records use the same)."""
        return self.audit.pseudonym("user", user_id) if self.audit is not None else ""

    async def _shared_room_answer(
        self, asker: Principal, question: str, query: str, room: Room, language: str, language_hint: str | None
    ) -> Answer:
        """The room answer (only what everybody may read), with the asker's private answer attached
        when documents only the asker may read would answer it better."""
        own = Audience.of(asker)
        # One embedding for the room's, the asker's and the "beyond the room" searches.
        vector = await self.answers.embed_query(query)
        try:
            audience = await self.audience(asker, room)
        except DirectoryUnavailable as exc:
            log.warning("directory unavailable while resolving room members: %s", exc)
            answer = Answer(messages.text("directory_down", language), [], language, Outcome.DIRECTORY_DOWN)
            return await self._audited(asker.user_id, question, room, answer)
        except RoomUnknown as exc:
            log.info("room %s: %s; no documents in the room", room.kind, exc)
            private = await self.answers.answer(query, audience=own, language_hint=language_hint, vector=vector)
            room_answer = Answer(messages.text("room_unknown", language), [], language, Outcome.ROOM_UNKNOWN)
            return await self._with_followup(asker, question, room, room_answer, private, [])

        answer = await self.answers.answer(query, audience=audience, language_hint=language_hint, vector=vector)
        if answer.outcome not in (Outcome.ANSWERED, Outcome.NO_MATCH):
            return await self._audited(asker.user_id, question, room, answer)
        try:
            narrower = await self._beyond_room(query, own, audience, vector)
        except LookupError:
            narrower = []
        if not narrower:
            return await self._audited(asker.user_id, question, room, answer)
        private = await self.answers.answer(query, audience=own, language_hint=language_hint, vector=vector)
        if private.outcome is not Outcome.ANSWERED:
            return await self._audited(asker.user_id, question, room, answer)
        note = messages.text("room_narrower", language)
        room_answer = dataclasses.replace(answer, text=f"{answer.text}\n\n{note}")
        return await self._with_followup(asker, question, room, room_answer, private, narrower)

    async def _beyond_room(self, question: str, own: Audience, room: Audience, vector: QueryVector) -> list[Withheld]:
        """Documents that would answer the asker but not every room member may read."""
        hits = await self.answers.matches(question, audience=own, vector=vector)
        seen: dict[tuple[str, str], Withheld] = {}
        for hit in hits:
            doc = hit.chunk.doc
            if not room.can_read(hit.chunk.acl):
                seen.setdefault((doc.drive_id, doc.item_id), Withheld(doc, WithheldReason.ROOM))
        return list(seen.values())

    async def _with_followup(
        self,
        asker: Principal,
        question: str,
        room: Room,
        room_answer: Answer,
        private: Answer,
        withheld: list[Withheld],
    ) -> Answer:
        intro = messages.text("private_intro", room_answer.language, question=normalise_question(question)[:200])
        private = dataclasses.replace(private, text=f"{intro}\n\n{private.text}")
        followup_room = Room("personal", f"followup:{room.conversation_id}")
        private = await self._audited(asker.user_id, question, followup_room, private, shared_from=room.kind)
        room_answer = dataclasses.replace(room_answer, withheld=(*room_answer.withheld, *withheld), followup=private)
        return await self._audited(asker.user_id, question, room, room_answer)

    async def _audited(self, user: str, question: str, room: Room, answer: Answer, **extra: str) -> Answer:
        """Write the audit record before the answer goes out; if that fails, the answer is withheld."""
        self.metrics.observe(
            room.kind,
            answer.outcome,
            answer.latency_s,
            [w.reason for w in answer.withheld],
            answer.followup is not None,
            answer.grounding,
            answer.extractive,
        )
        if self.audit is None:
            return answer
        record = AuditRecord(
            asker_id=user,
            room=room.kind,
            conversation_id=room.conversation_id,
            question=normalise_question(question),
            outcome=answer.outcome,
            cited=[{"drive_id": c.drive_id, "item_id": c.item_id} for c in answer.citations],
            withheld=[
                {"drive_id": w.doc.drive_id, "item_id": w.doc.item_id, "reason": w.reason} for w in answer.withheld
            ],
            model=answer.model,
            latency_s=answer.latency_s,
            language=answer.language,
            answer=answer.text,
            answer_id=answer.answer_id,
            grounding=f"{answer.grounding}{':extractive' if answer.extractive else ''}",
            extra=dict(extra),
        )
        try:
            await self.audit.record(record)
        except Exception:  # noqa: BLE001 - an answer that cannot be audited is not given
            reference = uuid.uuid4().hex[:8]
            log.exception("could not write the audit record (reference %s); answer withheld", reference)
            return Answer(
                messages.text("error", answer.language, ref=reference), [], answer.language, Outcome.AUDIT_FAILED
            )
        return answer

    async def answer(self, user: str, question: str, room: Room, **kwargs: str | None) -> Answer:
        async for event in self.stream(user, question, room, **kwargs):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("answer stream ended without an answer")

    async def search(self, user: str, query: str, k: int) -> list[Hit]:
        """Permitted chunks for ``user`` (no LLM). Raises like ``principal``."""
        asker = await self.principal(user)
        return await self.answers.search(query, audience=Audience.of(asker), k=k)
