"""Reading the model's stream: its failures as one exception, its text cleaned as it arrives
(a leading label cut, markers that point at no shown source dropped), so that what is streamed is
what is stored. Used by ``answering.pipeline``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

from answering.citations import MARKER, clean_answer
from answering.model import ChatModel


class ModelFailed(Exception):
    """The model failed while streaming (kept apart from failures of our own code)."""


async def model_deltas(llm: ChatModel, prompt: list[dict[str, str]]) -> AsyncGenerator[str, None]:
    """The model's deltas; any failure of the model (see ``ChatModel``) becomes ``ModelFailed``."""
    stream = aiter(llm.stream(prompt))
    while True:
        try:
            delta = await anext(stream)
        except StopAsyncIteration:
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the protocol: any model failure means "unavailable"
            raise ModelFailed(type(exc).__name__) from exc
        yield delta


class StreamFilter:
    """Cleans the model's stream as it arrives, so what is streamed is what is stored.

    Cuts a leading "Answer:" label and drops ``[n]`` markers that point at no shown source.
    Text is held back only while it could still be the start of a label or a marker.
    """

    _HOLD = 12
    _PARTIAL_MARKER = re.compile(r"\[\d{0,3}$")

    def __init__(self, valid_numbers: set[int]) -> None:
        self._valid = valid_numbers
        self._pending = ""
        self._started = False
        self.text = ""

    def _drop_invalid(self, text: str) -> str:
        return MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in self._valid else "", text)

    def feed(self, delta: str) -> str:
        self._pending += delta
        if not self._started:
            if len(self._pending) < self._HOLD:
                return ""
            self._pending = clean_answer(self._pending) + (" " if self._pending[-1:].isspace() else "")
            self._started = True
        partial = self._PARTIAL_MARKER.search(self._pending)
        cut = partial.start() if partial else len(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        ready = self._drop_invalid(ready)
        self.text += ready
        return ready

    def flush(self) -> str:
        rest = self._pending if self._started else clean_answer(self._pending)
        self._pending, self._started = "", True
        rest = self._drop_invalid(rest)
        self.text += rest
        return rest
