"""A local OpenAI-compatible chat server for tests and benchmarks: streams fixed text slowly.

Speaks ``POST /v1/chat/completions`` (``stream: true`` as Server-Sent Events, and plain JSON) and
``GET /v1/models``, which is what TGI, vLLM and the llama.cpp server answer; the product's own
``OpenAICompatibleModel`` talks to it over HTTP like to a real server. With
``stream_options.include_usage`` it ends the stream with a usage chunk, as vLLM and TGI do.

As a process (the load benchmark's model server)::

    python -m tests.llm_standin --port 8090 --deltas 16 --delay 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from devstack.processes import Child, free_port, http_ok, start, wait_until


class LLMStandIn:
    """``deltas`` are sent ``delay_s`` apart; ``calls`` records every request body; with
    ``fail_status`` every completion is answered with that HTTP status instead."""

    PROMPT_TOKENS = 42
    """The prompt size reported in ``usage`` (a fixed number the tests can look for)."""

    def __init__(
        self, deltas: Sequence[str], delay_s: float = 0.0, model: str = "standin", fail_status: int | None = None
    ) -> None:
        self.deltas = list(deltas)
        self.delay_s = delay_s
        self.model = model
        self.fail_status = fail_status
        self.calls: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    def _chunk(self, text: str | None, finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": "chatcmpl-standin",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}],
        }
        if usage is not None:
            body["choices"] = []
            body["usage"] = usage
        return f"data: {json.dumps(body)}\n\n".encode()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls.append(body)
        if self.fail_status is not None:
            return web.json_response({"error": "stand-in told to fail"}, status=self.fail_status)
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
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {
                "prompt_tokens": self.PROMPT_TOKENS,
                "completion_tokens": len(self.deltas),
                "total_tokens": self.PROMPT_TOKENS + len(self.deltas),
            }
            await response.write(self._chunk(None, usage=usage))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def start_process(log_dir: Path, deltas: int = 16, delay_s: float = 0.1) -> tuple[Child, str]:
    """The stand-in as its own process on a free loopback port; returns the child and its URL."""
    port = free_port()
    args = ["--port", str(port), "--deltas", str(deltas), "--delay", str(delay_s)]
    child = start("llm-standin", [sys.executable, "-m", "tests.llm_standin", *args], log_dir)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{url}/v1/models"), child, 60, "LLM stand-in")
    return child, url


def main() -> None:
    parser = argparse.ArgumentParser(description="An OpenAI-compatible stand-in model server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deltas", type=int, default=16, help="streamed chunks per answer")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before each chunk")
    args = parser.parse_args()
    deltas = [f"word{i} " for i in range(args.deltas - 1)] + ["as the source says [1]."]
    web.run_app(LLMStandIn(deltas, args.delay).app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
