"""A bounded TTL cache with single-flight async loading.

Storage is ``cachetools.TTLCache`` (LRU order, per-entry expiry, ``max_entries`` bound). What
cachetools does not have is the asyncio part: concurrent callers for one key share one load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar, overload

import cachetools

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

_MISSING = object()


class TTLCache(Generic[K, V]):
    """At most ``max_entries`` values, each for ``ttl_s`` seconds, least recently used evicted first.

    ``get_or_load(key, loader)`` returns the cached value or awaits ``loader()``. Concurrent callers
    for the same key share one load (single flight): the loader runs in a task of its own, so a
    caller that is cancelled (a timeout) stops waiting without cancelling the load for the others.
    A load that raises is not cached; every caller waiting for it gets the exception. Only keys
    being loaded right now are tracked besides the entries, so memory is bounded by
    ``max_entries`` plus the loads in progress.

    ``ttl_s == 0`` caches nothing: every ``get_or_load`` calls its loader, and ``put`` is a no-op.
    ``pop`` and ``clear`` also keep a load that started before them from storing its (possibly
    outdated) result; its callers still get it.

    The cache belongs to one event loop at a time and is not thread-safe (like asyncio itself).
    ``clock`` is injectable for tests; it must be monotonic.
    """

    def __init__(self, ttl_s: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_s < 0:
            raise ValueError(f"ttl_s must be >= 0, not {ttl_s}")
        if max_entries <= 0:
            raise ValueError(f"max_entries must be > 0, not {max_entries}")
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: cachetools.TTLCache[K, V, float] = cachetools.TTLCache(
            maxsize=max_entries, ttl=ttl_s, timer=clock
        )
        self._loading: dict[K, asyncio.Task[V]] = {}
        self._generation = 0  # bumped by pop/clear: loads started earlier do not store

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    @property
    def max_entries(self) -> int:
        return self._max_entries

    @property
    def in_flight(self) -> int:
        """How many keys are being loaded now."""
        return len(self._loading)

    def __len__(self) -> int:
        """Entries that have not expired."""
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The cached value (marking it recently used), or ``default`` if absent or expired."""
        return self._entries.get(key, default)

    def put(self, key: K, value: V) -> None:
        """Store ``value`` for ``ttl_s`` from now, evicting the least recently used entry if full."""
        if self._ttl_s > 0:
            self._entries[key] = value

    @overload
    def pop(self, key: K) -> V | None: ...

    @overload
    def pop(self, key: K, default: D) -> V | D: ...

    def pop(self, key: K, default: object = None) -> object:
        """Remove one entry and return its value (``default`` if absent or expired)."""
        self._generation += 1
        return self._entries.pop(key, default)

    def clear(self) -> None:
        """Remove every entry. Loads in progress finish for their callers but store nothing."""
        self._generation += 1
        self._entries.clear()

    def items(self) -> list[tuple[K, V]]:
        """A snapshot of the live entries in insertion order; does not change the LRU order."""
        # cachetools' own __getitem__ marks an entry as used; the base class's does not.
        return [(key, cachetools.Cache.__getitem__(self._entries, key)) for key in list(self._entries)]

    async def get_or_load(self, key: K, loader: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or the result of ``loader()`` (shared with concurrent callers, then cached)."""
        if self._ttl_s == 0:
            return await loader()
        cached = self._entries.get(key, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, loader))
            task.add_done_callback(_mark_retrieved)
            self._loading[key] = task
        # shield: cancelling this caller must not cancel the load the other callers wait for.
        return await asyncio.shield(task)

    async def _load(self, key: K, loader: Callable[[], Awaitable[V]]) -> V:
        generation = self._generation
        try:
            value = await loader()
        finally:
            # Synchronously with the load's end, so no later caller can join a finished load.
            if self._loading.get(key) is asyncio.current_task():
                del self._loading[key]
        if generation == self._generation:
            self.put(key, value)
        return value


def _mark_retrieved(task: asyncio.Task[object]) -> None:
    """Keeps asyncio from logging a failure that every waiter stopped waiting for (cancelled)."""
    if not task.cancelled():
        task.exception()
