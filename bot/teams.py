"""Teams (and any Bot Framework channel) through the Microsoft 365 Agents SDK.

A turn is translated into ``Assistant.stream(user, question, room)`` and the result into a
message: streamed with the SDK's ``StreamingResponse`` in 1:1 chats (Teams streams only there),
one message with citation entities in group chats and channels. The asker is
``from.aadObjectId`` in the activity's tenant; the bot's @mention is removed using the mention
entities. Nothing here retrieves or prompts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ClientCitation,
    ClientCitationAppearance,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.app.streaming import Citation as StreamCitation

from answering import messages
from answering.assistant import Assistant, Room, RoomKind
from answering.citations import Citation
from answering.language import detect_language
from answering.pipeline import Answer, TextDelta

log = logging.getLogger(__name__)

_ROOM_KINDS: dict[str, RoomKind] = {"personal": "personal", "groupchat": "groupChat", "channel": "channel"}


def room_of(activity: Activity) -> Room:
    conversation = activity.conversation
    kind = (conversation.conversation_type or "personal").lower() if conversation else "personal"
    return Room(_ROOM_KINDS.get(kind, "personal"), conversation.id if conversation else "")


def tenant_of(activity: Activity) -> str | None:
    if activity.conversation is not None and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    channel_data: Any = activity.channel_data
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant") or {}
        if isinstance(tenant, dict) and tenant.get("id"):
            return str(tenant["id"])
    return None


def question_of(activity: Activity) -> str:
    """The message text without the bot's own @mention (found through the mention entities)."""
    if activity.recipient is not None and activity.recipient.id:
        activity.remove_recipient_mention()
    return (activity.text or "").strip()


def citation_entities(citations: list[Citation]) -> list[ClientCitation]:
    return [
        ClientCitation(
            position=c.number,
            appearance=ClientCitationAppearance(name=c.title, url=c.url or None, abstract=c.snippet[:480]),
        )
        for c in citations
    ]


class TeamsBot:
    """Registers the message handler on an ``AgentApplication``."""

    def __init__(self, assistant: Assistant, answer_timeout_s: float) -> None:
        self._assistant = assistant
        self._timeout_s = answer_timeout_s

    def build_application(self, adapter: Any, connection_manager: Any) -> AgentApplication[TurnState]:
        application: AgentApplication[TurnState] = AgentApplication[TurnState](
            storage=MemoryStorage(),
            adapter=adapter,
            connection_manager=connection_manager,
            remove_recipient_mention=False,  # done in question_of, from the mention entities
            start_typing_timer=False,  # one explicit typing activity per question
        )
        application.activity(ActivityTypes.message)(self.on_message)
        application.error(self.on_error)
        return application

    async def on_error(self, context: TurnContext, error: Exception) -> None:
        reference = uuid.uuid4().hex[:8]
        log.exception("turn failed (reference %s)", reference, exc_info=error)
        language = detect_language(context.activity.text or "", context.activity.locale)
        try:
            await context.send_activity(messages.text("error", language, ref=reference))
        except Exception:  # noqa: BLE001 - the channel itself may be what failed
            log.warning("could not tell the user about failure %s", reference)

    async def on_message(self, context: TurnContext, state: TurnState) -> None:
        activity = context.activity
        question = question_of(activity)
        language = detect_language(question, activity.locale)
        sender = activity.from_property
        user = sender.aad_object_id if sender is not None else None
        room = room_of(activity)
        if not question:
            await context.send_activity(messages.text("empty", language))
            return
        if not user:
            await context.send_activity(messages.text("unknown_user", language))
            return
        await context.send_activity(Activity(type=ActivityTypes.typing))
        try:
            async with asyncio.timeout(self._timeout_s):
                if room.kind == "personal" and activity.channel_id == "msteams":
                    await self._answer_streamed(context, user, question, room, activity.locale)
                else:
                    await self._answer_once(context, user, question, room, activity.locale)
        except TimeoutError:
            await context.send_activity(messages.text("timeout", language))

    async def _answer_once(
        self, context: TurnContext, user: str, question: str, room: Room, locale: str | None
    ) -> None:
        answer = await self._assistant.answer(
            user, question, room, tenant_id=tenant_of(context.activity), language_hint=locale
        )
        reply = Activity(type=ActivityTypes.message, text=answer.text, text_format="markdown")
        if answer.citations:
            if context.activity.channel_id != "msteams":
                label = messages.text("sources", answer.language)
                links = "\n".join(f"[{c.number}] [{c.title}]({c.url})" for c in answer.citations)
                reply.text = f"{answer.text}\n\n{label}:\n{links}"
            reply.add_ai_metadata(citation_entities(answer.citations))
        await context.send_activity(reply)

    async def _answer_streamed(
        self, context: TurnContext, user: str, question: str, room: Room, locale: str | None
    ) -> None:
        streaming = context.streaming_response
        streaming.set_generated_by_ai_label(True)
        final: Answer | None = None
        async for event in self._assistant.stream(
            user, question, room, tenant_id=tenant_of(context.activity), language_hint=locale
        ):
            if isinstance(event, TextDelta):
                streaming.queue_text_chunk(event.text)
            else:
                final = event
        if final is None:
            return
        if final.outcome != "answered":
            separator = "\n\n" if streaming.get_message() else ""
            streaming.queue_text_chunk(separator + final.text)
        elif final.retrieved:
            # Positions must equal the [n] numbers in the text; the SDK keeps only the used ones.
            numbers = {c.number: c for c in final.citations}
            shown = [numbers.get(n) for n in range(1, max(numbers, default=0) + 1)]
            streaming.set_citations(
                [
                    StreamCitation(content=c.snippet if c else "", title=c.title if c else "", url=c.url if c else None)
                    for c in shown
                ]
            )
        await streaming.end_stream()
