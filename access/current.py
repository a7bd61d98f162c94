"""Asking the source for a document's permissions *now* (the answer-time check).

The index holds the ACL as of the last sync. Before an answer is generated, the documents it will
draw on are re-checked through this protocol (Graph in production and in the dev tenant), so a
revocation counts from the moment it is made, not from the next sync. The protocol lives here so
that ``answering`` depends on no SDK.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Protocol

from caching import TTLCache


class PermissionCheckUnavailable(RuntimeError):
    """The source could not be asked. Callers fail closed: no documents are used."""


class CurrentPermissions(Protocol):
    """The current ACL keys of one document; an empty set when it is gone or readable by nobody."""

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        """Raise ``PermissionCheckUnavailable`` when the source cannot be asked."""
        ...


class CachedPermissions:
    """A short TTL cache in front of a ``CurrentPermissions`` (``ttl_s`` 0 asks every time).

    Holds at most ``max_entries`` documents; concurrent checks of one document ask the source once.
    """

    def __init__(
        self,
        source: CurrentPermissions,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = 50_000,
    ) -> None:
        self._source = source
        self._cache: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(ttl_s, max_entries, clock)

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        return await self._cache.get_or_load((drive_id, item_id), partial(self._source.current_acl, drive_id, item_id))
