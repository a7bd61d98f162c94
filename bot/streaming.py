"""A 1:1 answer streamed by the Teams protocol, through the Agents SDK's ``StreamingResponse``.

Sequence: an informative update in the user's language, then streaming updates with growing text
(the SDK numbers them and sends one a second), then the final message (``streamType: final``)
with the AI label, citations and feedback buttons. Teams ends a stream after two minutes, so a
stream that has run ``max_stream_s`` is closed with what was shown so far and the whole answer
follows as its own message. When the channel refuses streaming (403, 429, or a stream the client
cancelled), the answer goes out as one plain message instead: the user always gets all of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from microsoft_agents.activity import Activity, ResourceResponse
from microsoft_agents.hosting.core import TurnContext

from answering import messages
from answering.answer import Answer, Outcome
from bot.citations import stream_citations
from bot.replies import answer_message

log = logging.getLogger(__name__)

Delivered = Callable[[str | None], Awaitable[None]]
"""Told the id of the delivered answer message (``None`` when the channel gave none)."""

TEAMS_STREAM_LIMIT_S = 120.0
"""Teams refuses streaming updates after this long (403 ContentStreamNotAllowed)."""


def _is_stream_activity(activity: Activity) -> bool:
    return any(getattr(e, "type", None) == "streaminfo" for e in activity.entities or [])


class TeamsStream:
    """One streamed answer; ``add`` text as it is generated, then ``finish`` with the answer."""

    def __init__(
        self,
        context: TurnContext,
        language: str,
        max_stream_s: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._context = context
        self._streaming = context.streaming_response
        self._language = language
        self._max_s = max_stream_s
        self._clock = clock
        self._started = clock()
        self._closed_early = False
        self._failed = False
        context.on_send_activities(self._watch_streaming_sends)

    async def _watch_streaming_sends(
        self, context: TurnContext, activities: list[Activity], send: Callable[[], Awaitable[Any]]
    ) -> Any:
        """A refused streaming send (403, 429, …) switches this answer to one plain message.

        The SDK raises out of its send queue for some refusals and cancels silently for others;
        here every refusal is noted, later streaming sends are skipped, and ``finish`` sends the
        whole answer as an ordinary message.
        """
        if not any(_is_stream_activity(a) for a in activities):
            return await send()
        if not self._failed:
            try:
                return await send()
            except Exception as exc:  # noqa: BLE001 - refused by the channel: fall back
                log.warning("the channel refused a streaming update (%s); the answer goes as one message", exc)
                self._failed = True
        return [ResourceResponse(id="") for _ in activities]

    def start(self) -> None:
        self._streaming.queue_informative_update(messages.text("informative", self._language))

    async def add(self, text: str) -> None:
        if self._closed_early or self._failed:
            return
        if self._clock() - self._started >= self._max_s:
            await self._close_early()
            return
        self._streaming.queue_text_chunk(text)

    async def _close_early(self) -> None:
        """End the stream in time with what was shown; the whole answer follows as a message."""
        self._closed_early = True
        log.info("closing a stream after %.0f s; the answer follows as a message", self._clock() - self._started)
        self._streaming.queue_text_chunk("\n\n" + messages.text("stream_continued", self._language))
        try:
            await self._streaming.end_stream()
        except Exception as exc:  # noqa: BLE001 - the answer is still sent as a message
            log.warning("closing the stream failed: %s", type(exc).__name__)

    def _refused(self) -> bool:
        streaming = self._streaming
        return self._failed or bool(
            getattr(streaming, "_cancelled", False) or getattr(streaming, "_user_cancelled", False)
        )

    async def finish(self, answer: Answer, delivered: Delivered) -> None:
        """Deliver the final message. ``delivered`` learns the id Teams rates it by (the stream's
        id, or the plain message's) before the user can see it."""
        if not self._closed_early and not self._refused():
            try:
                await self._end(answer, delivered)
                return
            except Exception as exc:  # noqa: BLE001 - 429 and the like: fall back to one plain message
                log.warning("streaming refused (%s); sending the answer as one message", type(exc).__name__)
        sent = await self._context.send_activity(answer_message(answer, self._context.activity.channel_id))
        await delivered(sent.id if sent is not None else None)

    async def _end(self, answer: Answer, delivered: Delivered) -> None:
        streaming = self._streaming
        if answer.outcome is not Outcome.ANSWERED:
            separator = "\n\n" if streaming.get_message() else ""
            streaming.queue_text_chunk(separator + answer.text)
        elif answer.citations:
            streaming.set_citations(stream_citations(answer.citations))
        streaming.set_generated_by_ai_label(True)
        streaming.set_feedback_loop(True)
        streaming.set_feedback_loop_type("default")
        await streaming.wait_for_queue()  # the first update's answer carries the stream id
        if self._refused():
            raise ConnectionRefusedError("the channel refused the stream")
        await delivered(getattr(streaming, "_stream_id", None))
        await streaming.end_stream()
        if self._refused():
            raise ConnectionRefusedError("the channel refused the stream")
