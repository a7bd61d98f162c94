"""POST /api/ask: the SharePoint web part's (and the dev chat page's) way in.

JSON in: ``{"question": str, "conversation_id"?: str}``; in dev mode also ``"user"`` (a demo
user's object id or UPN), which is refused once credentials are configured. Out: JSON, or
Server-Sent Events (``delta`` events, then one ``answer`` event) with
``Accept: text/event-stream``.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from answering.answer import TextDelta, answer_json
from answering.assistant import Assistant, Room
from bot.entra_auth import EntraTokenValidator, InvalidToken
from bot.json_body import InvalidBody, json_object

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    question: str = Field(min_length=1)
    conversation_id: str = Field(default="", max_length=200)
    user: str | None = None
    """Dev mode only: a demo user's object id or UPN."""

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class AskEndpoint:
    """Handles /api/ask with either a validated Entra token or (dev mode) a demo user."""

    def __init__(
        self,
        assistant: Assistant,
        validator: EntraTokenValidator | None,
        dev_mode: bool,
        max_question_chars: int,
    ) -> None:
        self._assistant = assistant
        self._validator = validator
        self._dev_mode = dev_mode
        self._max_chars = max_question_chars

    async def _body(self, request: web.Request) -> AskRequest | web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            data = json_object(await request.content.read(MAX_BODY_BYTES + 1), MAX_BODY_BYTES)
            if isinstance(data.get("question"), str) and len(data["question"]) > self._max_chars:
                return _error(413, f"question longer than {self._max_chars} characters")
            return AskRequest.model_validate(data)
        except InvalidBody as exc:
            return _error(exc.status, str(exc))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "body"
            return _error(400, f"field '{field}': {first['msg']}")

    async def _caller(self, request: web.Request, body: AskRequest) -> tuple[str, str | None] | web.Response:
        if self._dev_mode and "Authorization" not in request.headers:
            if body.user is None or not body.user.strip():
                return _error(400, "dev mode: field 'user' (a demo user) is required")
            return body.user.strip(), None
        if body.user is not None:
            return _error(400, "field 'user' is only accepted in dev mode")
        if self._validator is None:
            return _error(401, "authentication is not configured")
        try:
            caller = await self._validator.validate(request.headers.get("Authorization"))
        except InvalidToken as exc:
            log.info("rejected /api/ask token: %s", exc)
            return web.json_response(
                {"error": "invalid or missing bearer token"}, status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return caller.user_id, caller.tenant_id

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        caller = await self._caller(request, body)
        if isinstance(caller, web.Response):
            return caller
        user, tenant_id = caller
        conversation_id = body.conversation_id
        room = Room("web", conversation_id)
        language_hint = request.headers.get("Accept-Language")
        if "text/event-stream" in request.headers.get("Accept", ""):
            return await self._stream(request, user, tenant_id, body.question, room, language_hint)
        answer = await self._assistant.answer(
            user, body.question, room, tenant_id=tenant_id, language_hint=language_hint
        )
        return web.json_response(answer_json(answer, conversation_id))

    async def _stream(
        self,
        request: web.Request,
        user: str,
        tenant_id: str | None,
        question: str,
        room: Room,
        language_hint: str | None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        async for event in self._assistant.stream(
            user, question, room, tenant_id=tenant_id, language_hint=language_hint
        ):
            if isinstance(event, TextDelta):
                payload = json.dumps({"text": event.text}, ensure_ascii=False)
                await response.write(f"event: delta\ndata: {payload}\n\n".encode())
            else:
                payload = json.dumps(answer_json(event, room.conversation_id), ensure_ascii=False)
                await response.write(f"event: answer\ndata: {payload}\n\n".encode())
        await response.write_eof()
        return response
