"""Memory stays bounded after 100,000 distinct keys: caching.TTLCache and its four users
(principals, answer-time permissions, rosters, SharePoint lookups). See ``test_ttl_cache.py``
for how memory is measured."""

from __future__ import annotations

import asyncio
import gc
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from types import BuiltinFunctionType, CodeType, FunctionType, ModuleType, SimpleNamespace
from typing import Any

import pytest

from access.current import CachedPermissions
from access.resolver import PrincipalResolver, UserInfo
from bot.rooms import RosterCache
from caching import TTLCache
from connectors.sharepoint import SharePointSource, SourceOptions
from tests.unit.test_ttl_cache import Clock, Loader

N_KEYS = 100_000
CHECKPOINT = 10_000
BOUND = 1_000


# --- memory stays bounded after 100,000 distinct keys ---------------------------------------

Fill = Callable[[range], Awaitable[None]]


async def _in_batches(fill: Fill, start: int, stop: int, batch: int = 100) -> None:
    for first in range(start, stop, batch):
        await fill(range(first, min(first + batch, stop)))


def _traced_after_fill(fill: Fill) -> tuple[int, int]:
    """Memory still allocated (tracemalloc, bytes since the start) after ``CHECKPOINT`` and ``N_KEYS`` keys."""

    async def go() -> tuple[int, int]:
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        await _in_batches(fill, 0, CHECKPOINT)
        gc.collect()
        at_checkpoint = tracemalloc.get_traced_memory()[0] - start
        await _in_batches(fill, CHECKPOINT, N_KEYS)
        gc.collect()
        return at_checkpoint, tracemalloc.get_traced_memory()[0] - start

    tracemalloc.start()
    try:
        return asyncio.run(go())
    finally:
        tracemalloc.stop()


_NOT_STATE = (type, ModuleType, FunctionType, BuiltinFunctionType, CodeType, asyncio.AbstractEventLoop)


def reachable_bytes(root: object) -> int:
    """``sys.getsizeof`` summed over every object reachable from ``root`` (classes, modules, functions
    and the event loop excluded): what an object holds on to, without tracemalloc's slowdown."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _NOT_STATE):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def _held_after_fill(owner: object, fill: Fill) -> tuple[int, int]:
    """Bytes reachable from ``owner`` after ``CHECKPOINT`` and after ``N_KEYS`` distinct keys."""

    async def go() -> tuple[int, int]:
        await _in_batches(fill, 0, CHECKPOINT)
        at_checkpoint = reachable_bytes(owner)
        await _in_batches(fill, CHECKPOINT, N_KEYS)
        return at_checkpoint, reachable_bytes(owner)

    return asyncio.run(go())


def _assert_bounded(at_checkpoint: int, at_end: int) -> None:
    # Unbounded, the end holds 10x the checkpoint's entries; bounded at 1,000, both hold 1,000.
    assert at_checkpoint > 0
    assert at_end < 1.5 * at_checkpoint, f"{at_checkpoint} bytes after {CHECKPOINT} keys, {at_end} after {N_KEYS}"


def test_generic_cache_memory_is_bounded() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl_s=300, max_entries=BOUND, clock=Clock())

    async def fill(keys: range) -> None:
        # Every tenth key is loaded (a task each, the slow part under tracemalloc), the others put.
        loaded = keys[::10]
        for i in keys:
            if i not in loaded:
                cache.put(f"key-{i}", f"value-{i}")
        await asyncio.gather(*(cache.get_or_load(f"key-{i}", Loader(f"value-{i}")) for i in loaded))

    _assert_bounded(*_traced_after_fill(fill))
    assert len(cache) == BOUND and cache.in_flight == 0


def test_roster_cache_memory_is_bounded() -> None:
    rosters = RosterCache(300, Clock(), max_entries=BOUND)

    async def fill(keys: range) -> None:
        for i in keys:
            rosters.put(f"19:room-{i}@thread.v2;messageid={i}", (f"member-{i}", "anna-id"))

    _assert_bounded(*_traced_after_fill(fill))
    assert len(rosters) == BOUND
    assert rosters.get(f"19:room-{N_KEYS - 1}@thread.v2") == (f"member-{N_KEYS - 1}", "anna-id")


def test_reachable_bytes_sees_an_unbounded_dict_grow() -> None:
    """The measure the next tests rely on fails on the per-key dicts the cache replaced."""
    grows: dict[str, tuple[float, frozenset[str]]] = {}
    for i in range(CHECKPOINT // 10):
        grows[f"item-{i}"] = (0.0, frozenset({f"user:{i}"}))
    at_checkpoint = reachable_bytes(grows)
    for i in range(CHECKPOINT // 10, N_KEYS // 10):
        grows[f"item-{i}"] = (0.0, frozenset({f"user:{i}"}))
    with pytest.raises(AssertionError):
        _assert_bounded(at_checkpoint, reachable_bytes(grows))


class ManyUsers:
    """A directory in which every UPN ``user-<n>@contoso.dev`` exists, in two groups."""

    async def get_user(self, id_or_upn: str) -> UserInfo:
        n = id_or_upn.split("@", 1)[0].removeprefix("user-")
        return UserInfo(f"oid-{n}", f"user-{n}@contoso.dev", f"User {n}")

    async def transitive_group_ids(self, user_id: str) -> list[str]:
        return ["staff", f"team-{user_id}"]


def test_principal_resolver_memory_is_bounded() -> None:
    resolver = PrincipalResolver(ManyUsers(), "tenant", ttl_s=300, clock=Clock(), max_entries=BOUND)

    async def fill(keys: range) -> None:
        await asyncio.gather(*(resolver.resolve(f"user-{i}@contoso.dev") for i in keys))

    _assert_bounded(*_held_after_fill(resolver, fill))
    cache = resolver._cache  # white box: the entries and the in-flight loads (the old per-key locks)
    assert len(cache) <= BOUND and cache.in_flight == 0


class GatedUsers(ManyUsers):
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def get_user(self, id_or_upn: str) -> UserInfo:
        self.calls += 1
        await self.release.wait()
        return await super().get_user(id_or_upn)


def test_forget_during_a_lookup_leaves_nothing_of_it_cached() -> None:
    directory = GatedUsers()
    resolver = PrincipalResolver(directory, "tenant", ttl_s=300, clock=Clock())

    async def go() -> None:
        directory.release = asyncio.Event()
        lookup = asyncio.ensure_future(resolver.resolve("user-1@contoso.dev"))
        while directory.calls == 0:
            await asyncio.sleep(0)
        resolver.forget("user-1@contoso.dev")  # e.g. the user was removed from a group just now
        directory.release.set()
        assert (await lookup).user_id == "oid-1"
        assert len(resolver._cache) == 0, "neither the UPN nor the object id entry was stored"
        await resolver.resolve("oid-1")

    asyncio.run(go())
    assert directory.calls == 2


class ManyDocuments:
    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        return frozenset({f"user:{item_id}", "group:staff"})


def test_cached_permissions_memory_is_bounded() -> None:
    cached = CachedPermissions(ManyDocuments(), ttl_s=60, clock=Clock(), max_entries=BOUND)

    async def fill(keys: range) -> None:
        await asyncio.gather(*(cached.current_acl("drive", f"item-{i}") for i in keys))

    _assert_bounded(*_held_after_fill(cached, fill))
    assert len(cached._cache) <= BOUND and cached._cache.in_flight == 0


class _Get:
    def __init__(self, result: Any) -> None:
        self._result = result

    async def get(self, request_configuration: Any = None) -> Any:
        return self._result


class ManyDrivesGraph:
    """Just enough of ``GraphServiceClient`` for ``item_acl``: no permissions, drives without a group."""

    def __init__(self) -> None:
        self.drive_reads = 0
        self.drives = SimpleNamespace(by_drive_id=self._drive)

    def _drive(self, drive_id: str) -> Any:
        async def get() -> Any:
            self.drive_reads += 1
            return SimpleNamespace(owner=None)

        permissions = _Get(SimpleNamespace(value=[], odata_next_link=None))
        items = SimpleNamespace(by_drive_item_id=lambda item_id: SimpleNamespace(permissions=permissions))
        return SimpleNamespace(get=get, items=items)


def test_sharepoint_lookup_cache_memory_is_bounded() -> None:
    graph = ManyDrivesGraph()
    source = SharePointSource(graph, "tenant", [], options=SourceOptions(lookup_max_entries=BOUND))  # type: ignore[arg-type]

    async def fill(keys: range) -> None:
        await asyncio.gather(*(source.item_acl(f"drive-{i}", "item") for i in keys))  # a drive-group lookup each

    _assert_bounded(*_held_after_fill(source, fill))
    assert graph.drive_reads == N_KEYS
    assert len(source._cache) <= BOUND and source._cache.in_flight == 0

    asyncio.run(source.item_acl(f"drive-{N_KEYS - 1}", "item"))
    assert graph.drive_reads == N_KEYS, "the most recent drive's group is still cached"
