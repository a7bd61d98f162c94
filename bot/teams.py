"""Teams (and any Bot Framework channel) through the Microsoft 365 Agents SDK.

A turn is translated into ``Assistant.stream(user, question, room)`` and the result into a
message: streamed with the SDK's ``StreamingResponse`` in 1:1 chats (Teams streams only there),
one message with citation entities in group chats and channels. The asker is
``from.aadObjectId`` in the activity's tenant; the bot's @mention is removed using the mention
entities. In group chats and channels the room's readers come from the Bot Connector's paged
members API (cached per conversation); an answer that only the asker may read is sent to the
asker in a new 1:1 conversation (``create_conversation`` + ``send_to_conversation``). Nothing
here retrieves or prompts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    ConnectorClientBase,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.app.streaming import Citation as StreamCitation

from answering import messages
from answering.answer import Answer, Outcome, TextDelta
from answering.assistant import Assistant, Room, RoomKind
from answering.language import detect_language
from bot.citations import citation_entities
from bot.validation import tenant_of

log = logging.getLogger(__name__)

_ROOM_KINDS: dict[str, RoomKind] = {"personal": "personal", "groupchat": "groupChat", "channel": "channel"}


def room_of(activity: Activity) -> Room:
    conversation = activity.conversation
    kind = (conversation.conversation_type or "personal").lower() if conversation else "personal"
    return Room(_ROOM_KINDS.get(kind, "personal"), conversation.id if conversation else "")


def question_of(activity: Activity) -> str:
    """The message text without the bot's own @mention (found through the mention entities)."""
    if activity.recipient is not None and activity.recipient.id:
        activity.remove_recipient_mention()
    return (activity.text or "").strip()


def _connector(context: TurnContext) -> Any:
    """The turn's Bot Connector client (authenticated for the activity's serviceUrl)."""
    return context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]


def roster_key(conversation_id: str) -> str:
    """A channel thread (``…;messageid=…``) has the channel's readers."""
    return conversation_id.split(";", 1)[0]


class RosterCache:
    """Readers of shared rooms (object ids) per conversation, for ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, tuple[str, ...]]] = {}

    def get(self, conversation_id: str) -> tuple[str, ...] | None:
        entry = self._entries.get(roster_key(conversation_id))
        if entry is None or self._clock() - entry[0] >= self._ttl_s:
            return None
        return entry[1]

    def put(self, conversation_id: str, members: tuple[str, ...]) -> None:
        self._entries[roster_key(conversation_id)] = (self._clock(), members)


async def fetch_roster(connector: Any, conversation_id: str, page_size: int = 500) -> tuple[str, ...] | None:
    """Object ids of every member of a conversation; ``None`` if any member has none (a
    federated user, an anonymous meeting guest), so the room cannot be trusted with documents."""
    members: list[str] = []
    token: str | None = None
    while True:
        page = await connector.conversations.get_conversation_paged_members(
            roster_key(conversation_id), page_size=page_size, continuation_token=token
        )
        for member in page.members or []:
            if not member.aad_object_id:
                return None
            members.append(member.aad_object_id.lower())
        token = page.continuation_token
        if not token:
            return tuple(sorted(set(members)))


class TeamsBot:
    """Registers the message handler on an ``AgentApplication``."""

    def __init__(self, assistant: Assistant, answer_timeout_s: float, roster_ttl_s: float = 300.0) -> None:
        self._assistant = assistant
        self._timeout_s = answer_timeout_s
        self._rosters = RosterCache(roster_ttl_s)

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
                if room.shared:
                    room = dataclasses.replace(room, members=await self._roster(context, room))
                if room.kind == "personal" and activity.channel_id == "msteams":
                    await self._answer_streamed(context, user, question, room, activity.locale)
                else:
                    await self._answer_once(context, user, question, room, activity.locale)
        except TimeoutError:
            await context.send_activity(messages.text("timeout", language))

    async def _roster(self, context: TurnContext, room: Room) -> tuple[str, ...] | None:
        cached = self._rosters.get(room.conversation_id)
        if cached is not None:
            return cached
        connector = _connector(context)
        if connector is None:
            return None
        try:
            members = await fetch_roster(connector, room.conversation_id)
        except Exception as exc:  # noqa: BLE001 - an unknown roster means no documents in the room
            log.warning("could not read the members of a %s: %s", room.kind, type(exc).__name__)
            return None
        if members is not None:
            self._rosters.put(room.conversation_id, members)
        return members

    @staticmethod
    def _message(answer: Answer, channel_id: Any, text: str | None = None) -> Activity:
        reply = Activity(type=ActivityTypes.message, text=text or answer.text, text_format="markdown")
        if answer.citations:
            if channel_id != "msteams":
                label = messages.text("sources", answer.language)
                links = "\n".join(f"[{c.number}] [{c.title}]({c.url})" for c in answer.citations)
                reply.text = f"{reply.text}\n\n{label}:\n{links}"
            reply.add_ai_metadata(citation_entities(answer.citations))
        return reply

    async def _answer_once(
        self, context: TurnContext, user: str, question: str, room: Room, locale: str | None
    ) -> None:
        answer = await self._assistant.answer(
            user, question, room, tenant_id=tenant_of(context.activity), language_hint=locale
        )
        text = answer.text
        if answer.followup is not None:
            delivered = await self._send_privately(context, answer.followup)
            text += "\n\n" + messages.text("followup_sent" if delivered else "followup_failed", answer.language)
        await context.send_activity(self._message(answer, context.activity.channel_id, text))

    async def _send_privately(self, context: TurnContext, answer: Answer) -> bool:
        """A proactive 1:1 message to the asker (Bot Connector create conversation + send)."""
        activity = context.activity
        connector = _connector(context)
        sender = activity.from_property
        if connector is None or sender is None or activity.recipient is None:
            return False
        tenant = tenant_of(activity)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=activity.recipient.id, name=activity.recipient.name),
            members=[ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id)],
        )
        if tenant:
            parameters.tenant_id = tenant
            parameters.channel_data = {"tenant": {"id": tenant}}
        try:
            created = await connector.conversations.create_conversation(parameters)
            message = self._message(answer, activity.channel_id)
            message.conversation = ConversationAccount(id=created.id, conversation_type="personal", tenant_id=tenant)
            message.from_property = activity.recipient
            message.recipient = ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id)
            message.channel_id = activity.channel_id
            message.service_url = activity.service_url
            await connector.conversations.send_to_conversation(created.id, message)
        except Exception as exc:  # noqa: BLE001 - the room is told that it did not work
            log.warning("could not send the private follow-up: %s", type(exc).__name__)
            return False
        return True

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
        if final.outcome is not Outcome.ANSWERED:
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
