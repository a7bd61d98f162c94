"""What every state backend hands the composition root: the three stores, one error, one clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from state.conversations import ConversationStore
from state.dedup import DeliveryGuard
from state.feedback import FeedbackStore

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Tests pass their own to move time."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class StateStoreError(Exception):
    """The state backend cannot be opened or used; the message names the database and the cause."""


@dataclass(frozen=True)
class StateStores:
    """The three stores of one backend, and how to close it (connections, worker threads)."""

    conversations: ConversationStore
    feedback: FeedbackStore
    delivery: DeliveryGuard
    closer: Callable[[], Awaitable[None]]

    async def aclose(self) -> None:
        await self.closer()
