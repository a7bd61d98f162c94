"""What every state backend hands the composition root: the three stores, one error, one clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from state.conversations import ConversationStore
from state.dedup import DeliveryGuard
from state.feedback import FeedbackStore

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Tests pass their own to move time."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class StateStoreError(Exception):
    """The state backend cannot be opened or used; the message names the database and the cause."""


async def _nothing() -> None:
    return None


def _embedded() -> dict[str, Any]:
    return {"backend": "sqlite", "available": True}


@dataclass(frozen=True)
class StateStores:
    """The three stores of one backend, how to start it (connect, migrate; a no-op for SQLite,
    which opens at construction), how to close it, and its health for ``/readyz``."""

    conversations: ConversationStore
    feedback: FeedbackStore
    delivery: DeliveryGuard
    closer: Callable[[], Awaitable[None]]
    starter: Callable[[], Awaitable[None]] = _nothing
    health: Callable[[], dict[str, Any]] = field(default=_embedded)

    async def start(self) -> None:
        await self.starter()

    async def aclose(self) -> None:
        await self.closer()
