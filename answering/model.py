"""The language model as the answer pipeline sees it.

``connectors.llm`` implements it for any server speaking the OpenAI-compatible Messages API (TGI,
vLLM, llama.cpp); tests use their own. The pipeline depends on this protocol only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class ChatModel(Protocol):
    """Streams a chat completion.

    Any exception that ``stream`` raises, other than cancellation, means "the model is
    unavailable" (down, timed out, an error status): the pipeline answers politely without it.
    Implementations log the details, since the pipeline does not look at the exception.
    """

    @property
    def name(self) -> str:
        """The model's name, as recorded with each answer."""
        ...

    def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        """Yield text deltas of the completion of ``messages`` (OpenAI chat format)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
