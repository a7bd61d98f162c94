"""The duplicate-delivery guard while the shared database is away: claims fall back to memory.

Without a guard every activity would be refused (or answered twice by every replica that gets
it). :class:`FallbackDeliveryGuard` asks the shared guard first; when that raises
:class:`StateStoreError` it claims in this process's memory instead, so one replica still answers
each activity once and Teams' redeliveries to *the same* replica are still caught. Across replicas
an activity delivered to two of them during the outage may be answered twice; that is logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from state.dedup import DeliveryGuard
from state.stores import Clock, StateStoreError, utc_now

log = logging.getLogger(__name__)


class MemoryDeliveryGuard:
    """:class:`~state.dedup.DeliveryGuard` in one process's memory (no cross-process claims)."""

    def __init__(self, ttl: timedelta = timedelta(hours=24), clock: Clock = utc_now, max_keys: int = 100_000) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max_keys = max_keys
        self._claims: dict[str, tuple[float, bool]] = {}

    def _prune(self, now: float) -> None:
        cutoff = now - self.ttl.total_seconds()
        for key in [k for k, (at, _) in self._claims.items() if at <= cutoff]:
            del self._claims[key]
        while len(self._claims) >= self._max_keys:  # oldest first (dicts keep insertion order)
            del self._claims[next(iter(self._claims))]

    async def claim(self, key: str) -> bool:
        if not key:
            raise ValueError("a delivery key must not be empty")
        now = self._clock().timestamp()
        self._prune(now)
        if key in self._claims:
            return False
        self._claims[key] = (now, False)
        return True

    async def release(self, key: str) -> None:
        claim = self._claims.get(key)
        if claim is not None and not claim[1]:
            del self._claims[key]

    async def done(self, key: str) -> None:
        claim = self._claims.get(key)
        if claim is not None:
            self._claims[key] = (claim[0], True)


class FallbackDeliveryGuard:
    """The shared guard, and a :class:`MemoryDeliveryGuard` while the shared one fails."""

    def __init__(self, shared: DeliveryGuard, local: MemoryDeliveryGuard | None = None) -> None:
        self._shared = shared
        self._local = local or MemoryDeliveryGuard()
        self._local_keys: set[str] = set()

    async def claim(self, key: str) -> bool:
        try:
            return await self._shared.claim(key)
        except StateStoreError as error:
            log.warning("delivery guard database unavailable (%s); claiming %s in this replica only", error, key)
        won = await self._local.claim(key)
        if won:
            self._local_keys.add(key)
        return won

    async def release(self, key: str) -> None:
        if key in self._local_keys:
            self._local_keys.discard(key)
            await self._local.release(key)
            return
        try:
            await self._shared.release(key)
        except StateStoreError:
            log.warning("could not release the claim on %s; a redelivery is refused until it expires", key)

    async def done(self, key: str) -> None:
        if key in self._local_keys:
            self._local_keys.discard(key)
            await self._local.done(key)
            return
        try:
            await self._shared.done(key)
        except StateStoreError:
            log.warning("could not mark %s delivered; its claim stays until it expires", key)
