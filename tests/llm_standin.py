"""A local OpenAI-compatible chat server for tests and benchmarks: streams fixed text slowly.

Speaks ``POST /v1/chat/completions`` (``stream: true`` as Server-Sent Events, and plain JSON) and
``GET /v1/models``, which is what TGI, vLLM and the llama.cpp server answer; the product's own
``OpenAICompatibleModel`` talks to it over HTTP like to a real server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web


class LLMStandIn:
    """``deltas`` are sent ``delay_s`` apart; ``calls`` records every request body."""

    def __init__(self, deltas: Sequence[str], delay_s: float = 0.0, model: str = "standin") -> None:
        self.deltas = list(deltas)
        self.delay_s = delay_s
        self.model = model
        self.calls: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    def _chunk(self, text: str | None, finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-standin",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls.append(body)
        if not body.get("stream"):
            await asyncio.sleep(self.delay_s * len(self.deltas))
            message = {"role": "assistant", "content": "".join(self.deltas)}
            return web.json_response(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "model": self.model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for delta in self.deltas:
            await asyncio.sleep(self.delay_s)
            await response.write(self._chunk(delta))
        await response.write(self._chunk(None, "stop"))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
