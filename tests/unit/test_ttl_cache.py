"""caching.TTLCache: expiry, LRU bound, single flight, failures, cancellation.

Memory after 100,000 keys, for the cache and its four users: ``test_cache_memory.py``. There the memory tests fill each cache with 100,000 distinct keys and compare the memory held after
10,000 and after 100,000 keys: a bounded cache is full long before 10,000, so the two agree; an
unbounded one (the dicts these caches replaced) holds ten times as much at the end. The cache
itself and the roster cache are measured with tracemalloc (everything allocated and still alive);
the three users that load through the event loop are measured by what is reachable from them,
because tracemalloc makes 100,000 asyncio loads several times slower.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from access.resolver import UnknownUser
from caching import TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts its calls; each waits for ``release`` (if given) and returns or raises."""

    def __init__(self, value: Any = "value", error: Exception | None = None) -> None:
        self.value = value
        self.error = error
        self.calls = 0
        self.release: asyncio.Event | None = None

    async def __call__(self) -> Any:
        self.calls += 1
        if self.release is not None:
            await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.value


# --- the cache itself -----------------------------------------------------------------------


def test_entries_expire_after_ttl_on_the_injected_clock() -> None:
    clock = Clock()
    cache: TTLCache[str, int] = TTLCache(ttl_s=10, max_entries=10, clock=clock)
    cache.put("a", 1)
    clock.now += 9.9
    assert cache.get("a") == 1 and len(cache) == 1
    clock.now += 0.1  # exactly ttl: stale, like the caches this replaces
    assert cache.get("a") is None and "a" not in cache and len(cache) == 0


def test_get_or_load_reloads_after_expiry() -> None:
    clock = Clock()
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=clock)
    loader = Loader("v1")

    async def go() -> list[str]:
        first = await cache.get_or_load("k", loader)
        clock.now += 59
        second = await cache.get_or_load("k", loader)
        loader.value = "v2"
        clock.now += 1
        third = await cache.get_or_load("k", loader)
        return [first, second, third]

    assert asyncio.run(go()) == ["v1", "v1", "v2"]
    assert loader.calls == 2


def test_least_recently_used_entry_is_evicted_at_the_bound() -> None:
    cache: TTLCache[str, int] = TTLCache(ttl_s=60, max_entries=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now more recently used than b
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3


def test_items_is_a_snapshot_that_keeps_the_lru_order() -> None:
    cache: TTLCache[str, int] = TTLCache(ttl_s=60, max_entries=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.items() == [("a", 1), ("b", 2)]
    cache.put("c", 3)  # items() touched nothing, so a is still the least recently used
    assert cache.items() == [("b", 2), ("c", 3)]


def test_none_is_a_value_that_can_be_cached() -> None:
    cache: TTLCache[str, str | None] = TTLCache(ttl_s=60, max_entries=2, clock=Clock())
    loader = Loader(None)

    async def go() -> None:
        assert await cache.get_or_load("k", loader) is None
        assert await cache.get_or_load("k", loader) is None

    asyncio.run(go())
    assert loader.calls == 1
    assert cache.get("k", "absent") is None and cache.get("other", "absent") == "absent"


def test_pop_and_clear() -> None:
    cache: TTLCache[str, int] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.pop("a") == 1 and cache.pop("a") is None and cache.pop("a", -1) == -1
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0 and cache.get("b") is None


def test_ttl_zero_caches_nothing_and_loads_every_time() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=0, max_entries=10, clock=Clock())
    loader = Loader()

    async def go() -> None:
        await cache.get_or_load("k", loader)
        await asyncio.gather(*(cache.get_or_load("k", loader) for _ in range(3)))

    asyncio.run(go())
    cache.put("k", "v")
    assert loader.calls == 4 and len(cache) == 0 and cache.get("k") is None and cache.in_flight == 0


@pytest.mark.parametrize(("ttl_s", "max_entries"), [(-1, 10), (10, 0), (10, -5)])
def test_invalid_bounds_are_refused(ttl_s: float, max_entries: int) -> None:
    with pytest.raises(ValueError):
        TTLCache(ttl_s=ttl_s, max_entries=max_entries)


def test_hundred_concurrent_callers_share_one_load() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader()

    async def go() -> list[str]:
        loader.release = asyncio.Event()
        callers = [asyncio.ensure_future(cache.get_or_load("k", loader)) for _ in range(100)]
        await asyncio.sleep(0)
        assert cache.in_flight == 1
        loader.release.set()
        return list(await asyncio.gather(*callers))

    assert asyncio.run(go()) == ["value"] * 100
    assert loader.calls == 1 and cache.in_flight == 0 and cache.get("k") == "value"


def test_different_keys_load_independently() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loaders = {k: Loader(k) for k in "abc"}

    async def go() -> list[str]:
        return list(await asyncio.gather(*(cache.get_or_load(k, loaders[k]) for k in "abcabc")))

    assert asyncio.run(go()) == list("abcabc")
    assert all(loader.calls == 1 for loader in loaders.values())


def test_failure_reaches_every_waiter_and_is_not_cached() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader(error=UnknownUser("ghost"))

    async def go() -> list[BaseException | str]:
        loader.release = asyncio.Event()
        callers = [asyncio.ensure_future(cache.get_or_load("k", loader)) for _ in range(10)]
        await asyncio.sleep(0)
        loader.release.set()
        return list(await asyncio.gather(*callers, return_exceptions=True))

    results = asyncio.run(go())
    assert len(results) == 10 and all(isinstance(r, UnknownUser) for r in results)
    assert loader.calls == 1 and cache.in_flight == 0 and len(cache) == 0

    loader.error, loader.release = None, None
    assert asyncio.run(cache.get_or_load("k", loader)) == "value"
    assert loader.calls == 2, "the failure was not cached: the next caller asks again"


def test_cancelling_one_waiter_does_not_cancel_the_shared_load() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader()

    async def go() -> tuple[bool, list[str]]:
        loader.release = asyncio.Event()
        first, second, third = (asyncio.ensure_future(cache.get_or_load("k", loader)) for _ in range(3))
        await asyncio.sleep(0)
        first.cancel()  # the caller that started the load, e.g. its turn timed out
        await asyncio.sleep(0)
        late = asyncio.ensure_future(cache.get_or_load("k", loader))  # joins the same load
        await asyncio.sleep(0)
        loader.release.set()
        results = list(await asyncio.gather(second, third, late))
        return first.cancelled(), results

    first_cancelled, results = asyncio.run(go())
    assert first_cancelled
    assert results == ["value"] * 3
    assert loader.calls == 1 and cache.in_flight == 0 and cache.get("k") == "value"


def test_load_whose_every_waiter_left_still_finishes_and_is_cached() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader()

    async def go() -> str:
        loader.release = asyncio.Event()
        only = asyncio.ensure_future(cache.get_or_load("k", loader))
        await asyncio.sleep(0)
        only.cancel()
        await asyncio.sleep(0)
        loader.release.set()
        for _ in range(3):
            await asyncio.sleep(0)
        assert cache.in_flight == 0
        return await cache.get_or_load("k", loader)

    assert asyncio.run(go()) == "value"
    assert loader.calls == 1


def test_failure_nobody_waits_for_any_more_is_not_reported_as_unretrieved() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader(error=RuntimeError("down"))
    reported: list[dict[str, Any]] = []

    async def go() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: reported.append(context))
        loader.release = asyncio.Event()
        only = asyncio.ensure_future(cache.get_or_load("k", loader))
        await asyncio.sleep(0)
        only.cancel()
        await asyncio.sleep(0)
        loader.release.set()
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()

    asyncio.run(go())
    assert loader.calls == 1 and cache.in_flight == 0 and len(cache) == 0
    assert reported == []


def test_pop_during_a_load_keeps_its_result_out_of_the_cache() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader("before the pop")

    async def go() -> str:
        loader.release = asyncio.Event()
        caller = asyncio.ensure_future(cache.get_or_load("k", loader))
        while loader.calls == 0:
            await asyncio.sleep(0)
        cache.pop("k")  # e.g. PrincipalResolver.forget after a group change
        loader.release.set()
        return await caller

    assert asyncio.run(go()) == "before the pop"
    assert cache.get("k") is None


def test_cache_is_usable_from_successive_event_loops() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=60, max_entries=10, clock=Clock())
    loader = Loader()
    assert asyncio.run(cache.get_or_load("a", loader)) == "value"
    assert asyncio.run(cache.get_or_load("b", loader)) == "value"
    assert asyncio.run(cache.get_or_load("a", loader)) == "value"
    assert loader.calls == 2
