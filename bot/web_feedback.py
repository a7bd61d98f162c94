"""POST /api/feedback: the web part's like/dislike (with an optional comment) on one answer.

JSON in: ``{"answer_id", "reaction": "like"|"dislike", "comment"?}`` (dev mode: also ``user``).
Stored in the same :class:`FeedbackStore` as the Teams feedback, with ``surface="web"``. Only the
person who was given the answer may rate it: an answer id that is unknown, pruned or someone
else's is a 404 (the same answer either way, so ids cannot be probed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from answering.assistant import Assistant
from bot.ask_api import read_json, validated, web_message_key
from bot.feedback import MAX_COMMENT_CHARS
from bot.web_identity import WebIdentity, error
from state import Feedback, FeedbackStore

MAX_FEEDBACK_BYTES = 16 * 1024


class FeedbackRequest(BaseModel):
    """The body of ``POST /api/feedback``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    answer_id: str = Field(min_length=1, max_length=64, description="The answer_id of an /api/ask answer.")
    reaction: Literal["like", "dislike"]
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    user: str | None = Field(default=None, description="Dev mode only: a demo user's object id or UPN.")


class FeedbackResponse(BaseModel):
    """What a stored rating is answered with."""

    stored: bool


class FeedbackEndpoint:
    """Stores web-part ratings of answers the caller was given."""

    def __init__(self, store: FeedbackStore, identity: WebIdentity, assistant: Assistant) -> None:
        self._store = store
        self._identity = identity
        self._assistant = assistant

    async def handle(self, request: web.Request) -> web.Response:
        data = await read_json(request, MAX_FEEDBACK_BYTES)
        if isinstance(data, web.Response):
            return data
        body = validated(FeedbackRequest, data)
        if isinstance(body, web.Response):
            return body
        caller = await self._identity.caller(request, body.user)
        if isinstance(caller, web.Response):
            return caller
        asker = self._assistant.pseudonym(caller.user)
        answered = await self._store.message_answer(web_message_key(body.answer_id))
        if answered is None or answered.asker != asker:
            return error(404, "no answer with this id was given to you")
        await self._store.add(
            Feedback(
                answer_id=answered.answer_id,
                reaction=body.reaction,
                time=datetime.now(UTC),
                comment=body.comment.strip(),
                asker=asker,
                cited=answered.cited,
                surface="web",
            )
        )
        return web.json_response({"stored": True}, status=201)
