"""POST /api/ask: the SharePoint web part's (and the dev chat page's) way in.

JSON in: ``{"question": str, "conversation_id"?: str, "site"?: str}``; in dev mode also
``"user"`` (a demo user's object id or UPN), which is refused once credentials are configured.
``site`` (a Graph site id, ``hostname,siteCollectionId,webId``) restricts retrieval to that
site's documents; permission trimming applies as always. Out: JSON, or Server-Sent Events
(``delta`` events, then one ``answer`` event) with ``Accept: text/event-stream``.

Every web answer is remembered for feedback (``POST /api/feedback`` rates it by ``answer_id``;
only the person who asked may rate it).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from answering.answer import Answer, TextDelta, answer_json
from answering.assistant import Assistant, Room
from bot.json_body import InvalidBody, json_object
from bot.web_identity import WebIdentity, error
from state import AnsweredMessage, FeedbackStore

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
M = TypeVar("M", bound=BaseModel)


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    question: str = Field(min_length=1, description="The question, in German or English.")
    conversation_id: str = Field(
        default="", max_length=200, description="Follow-ups in one page session share this id (conversation memory)."
    )
    site: str | None = Field(
        default=None,
        min_length=1,
        max_length=400,
        description="Only documents of this site (Graph site id hostname,siteCollectionId,webId); still trimmed.",
    )
    user: str | None = Field(default=None, description="Dev mode only: a demo user's object id or UPN.")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class CitationOut(BaseModel):
    """A cited document as ``/api/ask`` returns it."""

    number: int
    title: str
    url: str
    item_id: str
    drive_id: str
    snippet: str
    file_name: str = ""


class AskResponse(BaseModel):
    """The answer (the JSON body, or the data of the final ``answer`` event of the stream)."""

    answer: str
    citations: list[CitationOut]
    outcome: str
    language: str
    model: str
    conversation_id: str
    answer_id: str


class ErrorResponse(BaseModel):
    """Every 4xx of the web API."""

    error: str


def web_message_key(answer_id: str) -> str:
    """The feedback store's key of a web answer (the web part rates by answer id)."""
    return f"web|{answer_id}"


def validated(model: type[M], data: dict[str, object]) -> M | web.Response:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        return error(400, f"field '{field}': {first['msg']}")


async def read_json(request: web.Request, max_bytes: int) -> dict[str, object] | web.Response:
    if request.content_length is not None and request.content_length > max_bytes:
        return error(413, f"body larger than {max_bytes} bytes")
    try:
        return json_object(await request.content.read(max_bytes + 1), max_bytes)
    except InvalidBody as exc:
        return error(exc.status, str(exc))


class AskEndpoint:
    """Handles /api/ask with either a validated Entra token or (dev mode) a demo user."""

    def __init__(
        self,
        assistant: Assistant,
        identity: WebIdentity,
        max_question_chars: int,
        feedback: FeedbackStore | None = None,
    ) -> None:
        self._assistant = assistant
        self._identity = identity
        self._max_chars = max_question_chars
        self._feedback = feedback

    async def _body(self, request: web.Request) -> AskRequest | web.Response:
        data = await read_json(request, MAX_BODY_BYTES)
        if isinstance(data, web.Response):
            return data
        question = data.get("question")
        if isinstance(question, str) and len(question) > self._max_chars:
            return error(413, f"question longer than {self._max_chars} characters")
        return validated(AskRequest, data)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        caller = await self._identity.caller(request, body.user)
        if isinstance(caller, web.Response):
            return caller
        room = Room("web", body.conversation_id)
        language_hint = request.headers.get("Accept-Language")
        events = self._assistant.stream(
            caller.user, body.question, room, tenant_id=caller.tenant_id, language_hint=language_hint, site=body.site
        )
        if "text/event-stream" not in request.headers.get("Accept", ""):
            async for event in events:
                if isinstance(event, Answer):
                    await self._remember(caller.user, event)
                    return web.json_response(answer_json(event, room.conversation_id))
            raise RuntimeError("answer stream ended without an answer")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        async for event in events:
            if isinstance(event, TextDelta):
                payload = json.dumps({"text": event.text}, ensure_ascii=False)
                await response.write(f"event: delta\ndata: {payload}\n\n".encode())
            else:
                await self._remember(caller.user, event)
                payload = json.dumps(answer_json(event, room.conversation_id), ensure_ascii=False)
                await response.write(f"event: answer\ndata: {payload}\n\n".encode())
        await response.write_eof()
        return response

    async def _remember(self, user: str, answer: Answer) -> None:
        if self._feedback is None:
            return
        cited = tuple(f"{c.drive_id}/{c.item_id}" for c in answer.citations)
        message = AnsweredMessage(
            web_message_key(answer.answer_id),
            answer.answer_id,
            datetime.now(UTC),
            cited,
            self._assistant.pseudonym(user),
        )
        try:
            await self._feedback.remember_message(message)
        except Exception:  # noqa: BLE001 - the answer is delivered; only its rating would be lost
            log.exception("could not remember the web answer for feedback")
