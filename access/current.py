"""Asking the source for a document's permissions *now* (the answer-time check).

The index holds the ACL as of the last sync. Before an answer is generated, the documents it will
draw on are re-checked through this protocol (Graph in production and in the dev tenant), so a
revocation counts from the moment it is made, not from the next sync. The protocol lives here so
that ``answering`` depends on no SDK.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class PermissionCheckUnavailable(RuntimeError):
    """The source could not be asked. Callers fail closed: no documents are used."""


class CurrentPermissions(Protocol):
    """The current ACL keys of one document; an empty set when it is gone or readable by nobody."""

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        """Raise ``PermissionCheckUnavailable`` when the source cannot be asked."""
        ...


class CachedPermissions:
    """A short TTL cache in front of a ``CurrentPermissions`` (``ttl_s`` 0 asks every time)."""

    def __init__(self, source: CurrentPermissions, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        key = (drive_id, item_id)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._cache.get(key)
            if cached is not None and self._clock() - cached[0] < self._ttl_s:
                return cached[1]
            acl = await self._source.current_acl(drive_id, item_id)
            self._cache[key] = (self._clock(), acl)
            return acl
