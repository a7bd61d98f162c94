"""Teams (and any Bot Framework channel) through the Microsoft 365 Agents SDK.

A turn is translated into ``Assistant.stream(user, question, room)`` and the result into a
message: streamed by the Teams protocol in 1:1 chats (``bot.streaming``), one message in group
chats and channels. Every answer carries the AI label, citations and feedback buttons
(``bot.replies``); feedback invokes are stored (``bot.feedback``). The asker is
``from.aadObjectId`` in the activity's tenant; the bot's @mention is removed using the mention
entities. In shared rooms the readers come from the Bot Connector's roster and an answer that
only the asker may read goes to them privately (``bot.rooms``). Nothing here retrieves or prompts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.core import AgentApplication, MemoryStorage, TurnContext, TurnState

from answering import messages
from answering.answer import Answer, TextDelta
from answering.assistant import Assistant, Room, RoomKind
from answering.citations import Citation
from answering.commands import CommandName, parse_command
from answering.language import reply_language
from answering.memory import ConversationMemory
from bot.feedback import FeedbackRecorder, empty_invoke_response
from bot.replies import answer_message, plain_message
from bot.rooms import Rosters, send_privately
from bot.streaming import TeamsStream
from bot.validation import tenant_of

log = logging.getLogger(__name__)

_ROOM_KINDS: dict[str, RoomKind] = {"personal": "personal", "groupchat": "groupChat", "channel": "channel"}


def room_of(activity: Activity) -> Room:
    conversation = activity.conversation
    kind = (conversation.conversation_type or "personal").lower() if conversation else "personal"
    return Room(_ROOM_KINDS.get(kind, "personal"), conversation.id if conversation else "")


def client_locale(activity: Activity) -> str | None:
    """The Teams client's locale, from its ``clientInfo`` entity."""
    for entity in activity.entities or []:
        data = entity.model_dump(by_alias=True) if hasattr(entity, "model_dump") else dict(entity)
        if data.get("type") == "clientInfo" and isinstance(data.get("locale"), str):
            return str(data["locale"])
    return None


def question_of(activity: Activity) -> str:
    """The message text without the bot's own @mention (found through the mention entities)."""
    if activity.recipient is not None and activity.recipient.id:
        activity.remove_recipient_mention()
    return (activity.text or "").strip()


class TeamsBot:
    """Registers the message, feedback and error handlers on an ``AgentApplication``."""

    def __init__(
        self,
        assistant: Assistant,
        answer_timeout_s: float,
        roster_ttl_s: float = 300.0,
        roster_max_entries: int = 5_000,
        *,
        feedback: FeedbackRecorder | None = None,
        max_stream_s: float = 100.0,
    ) -> None:
        self._assistant = assistant
        self._timeout_s = answer_timeout_s
        self._rosters = Rosters(roster_ttl_s, roster_max_entries)
        self._feedback = feedback
        self._max_stream_s = max_stream_s

    def build_application(self, adapter: Any, connection_manager: Any) -> AgentApplication[TurnState]:
        application: AgentApplication[TurnState] = AgentApplication[TurnState](
            storage=MemoryStorage(),
            adapter=adapter,
            connection_manager=connection_manager,
            remove_recipient_mention=False,  # done in question_of, from the mention entities
            start_typing_timer=False,  # one explicit typing activity per question
        )
        application.activity(ActivityTypes.message)(self.on_message)
        application.conversation_update("membersAdded")(self.on_members_added)
        application.invoke("message/submitAction")(self.on_feedback)
        application.invoke()(self.on_other_invoke)
        application.error(self.on_error)
        return application

    async def on_error(self, context: TurnContext, error: Exception) -> None:
        reference = uuid.uuid4().hex[:8]
        log.exception("turn failed (reference %s)", reference, exc_info=error)
        if context.activity.type == ActivityTypes.invoke:
            await context.send_activity(empty_invoke_response())
            return
        language = reply_language(context.activity.text or "", context.activity.locale, client_locale(context.activity))
        try:
            await context.send_activity(messages.text("error", language, ref=reference))
        except Exception:  # noqa: BLE001 - the channel itself may be what failed
            log.warning("could not tell the user about failure %s", reference)

    async def on_feedback(self, context: TurnContext, state: TurnState) -> None:
        """Teams wants 200 with an empty body, whatever the invoke holds."""
        try:
            sender = context.activity.from_property
            asker = self._assistant.pseudonym(sender.aad_object_id or "") if sender else ""
            if self._feedback is not None:
                await self._feedback.rated(context.activity, asker)
        finally:
            await context.send_activity(empty_invoke_response())

    async def on_other_invoke(self, context: TurnContext, state: TurnState) -> None:
        log.info("invoke %r not handled; answered 200", context.activity.name)
        await context.send_activity(empty_invoke_response())

    async def on_members_added(self, context: TurnContext, state: TurnState) -> None:
        """A short welcome when the bot is installed in a personal chat (prompt starters do the rest)."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = [m.id for m in activity.members_added or []]
        if room_of(activity).kind == "personal" and bot_id in added:
            language = reply_language("", activity.locale, client_locale(activity))
            await context.send_activity(plain_message(messages.text("welcome", language)))

    async def _command(self, context: TurnContext, question: str, room: Room) -> bool:
        """Answer a command (help, reset, sources) without the model; False if it is none."""
        command = parse_command(question)
        if command is None:
            return False
        memory = self._assistant.memory
        key = ConversationMemory.key(room.kind, room.conversation_id)
        if command.name is CommandName.HELP:
            text = messages.help_text(command.language)
        elif command.name is CommandName.RESET:
            if memory is not None:
                await memory.forget(key)
            text = messages.text("reset_done", command.language)
        else:
            sources = await memory.last_sources(key) if memory is not None else []
            citations = [Citation(n, title, url, "", "", "") for n, (title, url) in enumerate(sources, 1)]
            text = messages.sources_text(citations, command.language) if citations else ""
            text = text or messages.text("sources_none", command.language)
        await context.send_activity(plain_message(text))
        return True

    async def on_message(self, context: TurnContext, state: TurnState) -> None:
        activity = context.activity
        question = question_of(activity)
        language = reply_language(question, activity.locale, client_locale(activity))
        sender = activity.from_property
        user = sender.aad_object_id if sender is not None else None
        room = room_of(activity)
        if await self._command(context, question, room):
            return
        if not question:
            await context.send_activity(messages.text("empty", language))
            return
        if not user:
            await context.send_activity(messages.text("unknown_user", language))
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                if room.kind == "personal" and activity.channel_id == "msteams":
                    await self._answer_streamed(context, user, question, room, language)
                    return
                await context.send_activity(Activity(type=ActivityTypes.typing))
                if room.shared:
                    room = dataclasses.replace(room, members=await self._rosters.readers(context, room))
                await self._answer_once(context, user, question, room)
        except TimeoutError:
            await context.send_activity(messages.text("timeout", language))

    async def _remember_sent(
        self, context: TurnContext, answer: Answer, message_id: str | None, user: str, conversation: str | None = None
    ) -> None:
        if self._feedback is None:
            return
        if conversation is None:
            conversation = context.activity.conversation.id if context.activity.conversation else ""
        cited = tuple(f"{c.drive_id}/{c.item_id}" for c in answer.citations)
        await self._feedback.sent(conversation, message_id, answer.answer_id, cited, self._assistant.pseudonym(user))

    async def _answer_once(self, context: TurnContext, user: str, question: str, room: Room) -> None:
        activity = context.activity
        answer = await self._assistant.answer(
            user, question, room, tenant_id=tenant_of(activity), language_hint=activity.locale
        )
        text = answer.text
        with self._assistant.metrics.stages.time("delivery"):
            if answer.followup is not None:
                private = await send_privately(context, answer_message(answer.followup, activity.channel_id))
                text += "\n\n" + messages.text("followup_sent" if private else "followup_failed", answer.language)
                if private is not None:
                    await self._remember_sent(context, answer.followup, private[1], user, conversation=private[0])
            sent = await context.send_activity(answer_message(answer, activity.channel_id, text))
        await self._remember_sent(context, answer, sent.id if sent is not None else None, user)

    async def _answer_streamed(self, context: TurnContext, user: str, question: str, room: Room, language: str) -> None:
        stream = TeamsStream(context, language, self._max_stream_s)
        stream.start()
        final: Answer | None = None
        async for event in self._assistant.stream(
            user, question, room, tenant_id=tenant_of(context.activity), language_hint=context.activity.locale
        ):
            if isinstance(event, TextDelta):
                await stream.add(event.text)
            else:
                final = event
        if final is None:
            return
        answer = final

        async def delivered(message_id: str | None) -> None:
            await self._remember_sent(context, answer, message_id, user)

        with self._assistant.metrics.stages.time("delivery"):
            await stream.finish(final, delivered)
