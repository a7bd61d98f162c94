"""An answer as a Teams message: text, the AI label and citations, feedback buttons.

Every answer in every scope carries the root ``https://schema.org/Message`` entity with
``additionalType: ["AIGeneratedContent"]`` and its citations (``Activity.add_ai_metadata``), and
on Teams enables the feedback buttons with ``channelData.feedbackLoop: {"type": "default"}``
(never together with the older ``feedbackLoopEnabled``, which Teams rejects). Channels without
citation rendering get the sources as Markdown links under the text.
"""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes

from answering import messages
from answering.answer import Answer
from bot.citations import message_entity

FEEDBACK_LOOP = {"feedbackLoop": {"type": "default"}}


def answer_message(answer: Answer, channel_id: Any, text: str | None = None, *, feedback: bool = True) -> Activity:
    reply = Activity(type=ActivityTypes.message, text=text or answer.text, text_format="markdown")
    if answer.citations and channel_id != "msteams":
        reply.text = f"{reply.text}\n\n{messages.sources_text(answer.citations, answer.language)}"
    reply.entities = [*(reply.entities or []), message_entity(answer.citations)]
    if feedback and channel_id == "msteams":
        reply.channel_data = dict(FEEDBACK_LOOP)
    return reply


def plain_message(text: str) -> Activity:
    """A fixed text (commands, errors): no AI label, no feedback."""
    return Activity(type=ActivityTypes.message, text=text, text_format="markdown")
