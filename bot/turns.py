"""Turns that run after their HTTP request was answered, and a clean shutdown for them.

The Bot Connector gives up on a request after about 15 s and redelivers the activity; a Teams
answer on real hardware takes longer. So ``/api/messages`` acknowledges a message activity at
once and its turn runs here; replies go out through the Bot Connector as in any turn (the turn
context holds the conversation reference and its own connector client). On shutdown, running
turns get ``grace_s`` seconds to finish; what is still running then is cancelled and logged by
name, never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundTurns:
    """Runs turn coroutines as tasks and keeps track of them until they end."""

    def __init__(self, grace_s: float) -> None:
        self._grace_s = grace_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def running(self) -> int:
        return len(self._tasks)

    @property
    def accepting(self) -> bool:
        """False once shutdown began: new activities get 503 so the Connector redelivers them."""
        return not self._closing

    def start(self, turn: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(turn, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background turn %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> int:
        """Stop accepting, wait up to the grace period; returns how many turns were cancelled."""
        self._closing = True
        if not self._tasks:
            return 0
        log.info("waiting up to %.0f s for %d running turn(s)", self._grace_s, len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._grace_s)
        for task in pending:
            log.error("turn %s did not finish within the shutdown grace period; cancelled", task.get_name())
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
        return len(pending)
