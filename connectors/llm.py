"""The LLM: any server speaking the OpenAI-compatible Messages API (TGI, vLLM, llama.cpp).

Called through ``huggingface_hub.AsyncInferenceClient`` with ``base_url=TGI_URL``. The API key is
always passed (otherwise a local Hugging Face token would be sent to our server) and so is a
timeout. Every failure surfaces as ``LLMUnavailable`` so the caller can answer politely.

With ``LLMMetrics`` it counts tokens in and out (the server's ``usage``, asked for with
``stream_options.include_usage`` as vLLM and TGI report it; servers that do not, such as the
llama.cpp server, are counted as one token a streamed chunk and ~4 prompt characters a token) and
failed calls (timeouts apart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from huggingface_hub import AsyncInferenceClient, ChatCompletionInputStreamOptions

from observability import LLMMetrics

log = logging.getLogger(__name__)


class LLMUnavailable(RuntimeError):
    """The model server could not be reached, timed out, or answered with an error."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    api_key: str
    model: str
    timeout_s: float
    max_tokens: int
    temperature: float
    stop: tuple[str, ...] = ()


class OpenAICompatibleModel:
    """Streams chat completions from the configured model server (implements ``answering.model.ChatModel``)."""

    def __init__(self, config: LLMConfig, metrics: LLMMetrics | None = None) -> None:
        self.config = config
        self._metrics = metrics
        self._client = AsyncInferenceClient(base_url=config.base_url, api_key=config.api_key, timeout=config.timeout_s)

    @property
    def name(self) -> str:
        return self.config.model

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        """Yield text deltas. Raises ``LLMUnavailable`` on any failure, before or during the stream."""
        chunks = 0
        usage: Any = None
        if self._metrics is not None:
            self._metrics.requests.inc()
        try:
            stream: Any = await asyncio.wait_for(
                self._client.chat_completion(
                    messages=messages,
                    model=self.config.model,
                    stream=True,
                    max_tokens=self.config.max_tokens,
                    temperature=self.config.temperature,
                    stop=list(self.config.stop) or None,
                    stream_options=ChatCompletionInputStreamOptions(include_usage=True),
                ),
                timeout=self.config.timeout_s,
            )
            async for chunk in stream:
                usage = getattr(chunk, "usage", None) or usage
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta.content
                if delta:
                    chunks += 1
                    yield delta
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport/server error means "unavailable"
            log.warning("LLM call failed: %s: %s", type(exc).__name__, str(exc)[:200])
            if self._metrics is not None:
                self._metrics.failed(timeout=_is_timeout(exc))
            raise LLMUnavailable(f"{type(exc).__name__}") from exc
        finally:
            if self._metrics is not None:
                self._count(messages, chunks, usage)

    def _count(self, messages: list[dict[str, str]], chunks: int, usage: Any) -> None:
        assert self._metrics is not None
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        if not isinstance(prompt, int):
            prompt = sum(len(m.get("content", "")) for m in messages) // 4
        if not isinstance(completion, int):
            completion = chunks
        self._metrics.used(prompt, completion)

    async def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            await close()


def _is_timeout(exc: BaseException) -> bool:
    """A timeout anywhere in the cause chain (asyncio's, httpx's, aiohttp's, the socket's)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError) or "Timeout" in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
