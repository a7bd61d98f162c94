"""The LLM: any server speaking the OpenAI-compatible Messages API (TGI, vLLM, llama.cpp).

Called through ``huggingface_hub.AsyncInferenceClient`` with ``base_url=TGI_URL``. The API key is
always passed (otherwise a local Hugging Face token would be sent to our server) and so is a
timeout. Every failure surfaces as ``LLMUnavailable`` so the caller can answer politely.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from huggingface_hub import AsyncInferenceClient

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

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self._client = AsyncInferenceClient(base_url=config.base_url, api_key=config.api_key, timeout=config.timeout_s)

    @property
    def name(self) -> str:
        return self.config.model

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        """Yield text deltas. Raises ``LLMUnavailable`` on any failure, before or during the stream."""
        try:
            stream: Any = await asyncio.wait_for(
                self._client.chat_completion(
                    messages=messages,
                    model=self.config.model,
                    stream=True,
                    max_tokens=self.config.max_tokens,
                    temperature=self.config.temperature,
                    stop=list(self.config.stop) or None,
                ),
                timeout=self.config.timeout_s,
            )
            async for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta.content
                if delta:
                    yield delta
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport/server error means "unavailable"
            log.warning("LLM call failed: %s: %s", type(exc).__name__, str(exc)[:200])
            raise LLMUnavailable(f"{type(exc).__name__}") from exc

    async def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            await close()
