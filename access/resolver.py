"""Resolving a person (tenant + object id or UPN) to a principal, with a bounded TTL cache.

The directory lookup itself is a protocol implemented by ``connectors.directory`` so that
this package stays free of SDKs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from access.principal import Principal
from caching import TTLCache


class UnknownUser(LookupError):
    """The directory has no such user (or the id is not a user)."""


class DirectoryUnavailable(RuntimeError):
    """The directory could not be asked (down, throttled past our patience, misconfigured).

    Callers must fail closed: no documents are used when this is raised.
    """


@dataclass(frozen=True)
class UserInfo:
    """The few directory facts about a user that the assistant needs."""

    id: str
    user_principal_name: str
    display_name: str
    preferred_language: str | None = None
    department: str = ""


class Directory(Protocol):
    """A directory of users and groups (Entra ID through Graph in production and in the dev tenant)."""

    async def get_user(self, id_or_upn: str) -> UserInfo:
        """Look a user up by object id or user principal name; raise ``UnknownUser``."""
        ...

    async def transitive_group_ids(self, user_id: str) -> list[str]:
        """Object ids of all groups the user belongs to, directly or through nesting."""
        ...


class PrincipalResolver:
    """Turns (tenant, user) into a ``Principal``; group lists are cached for ``ttl_s`` seconds.

    A principal is cached under the key it was asked for (UPN or object id) and under its object
    id; at most ``max_entries`` keys are kept, least recently used dropped first.
    """

    def __init__(
        self,
        directory: Directory,
        tenant_id: str,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = 10_000,
    ) -> None:
        self._directory = directory
        self._tenant_id = tenant_id.lower()
        self._cache: TTLCache[str, Principal] = TTLCache(ttl_s, max_entries, clock)
        self._forgotten = 0  # bumped by forget: a lookup that started earlier stores nothing

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    async def resolve(self, user: str, tenant_id: str | None = None) -> Principal:
        """Resolve an object id or UPN. A user of another tenant is refused (``UnknownUser``)."""
        if tenant_id is not None and tenant_id.lower() != self._tenant_id:
            raise UnknownUser(f"tenant {tenant_id} is not served here")
        key = user.strip().lower()
        if not key:
            raise UnknownUser("empty user id")
        return await self._cache.get_or_load(key, partial(self._lookup, key))

    async def _lookup(self, key: str) -> Principal:
        forgotten = self._forgotten
        info = await self._directory.get_user(key)
        groups = await self._directory.transitive_group_ids(info.id)
        principal = Principal(
            tenant_id=self._tenant_id,
            user_id=info.id.lower(),
            group_ids=frozenset(g.lower() for g in groups),
            display_name=info.display_name,
        )
        if forgotten == self._forgotten:
            self._cache.put(principal.user_id, principal)  # get_or_load stores it under ``key``
        return principal

    def forget(self, user: str | None = None) -> None:
        """Drop one cached user (under every key it is cached by), or everything."""
        self._forgotten += 1
        if user is None:
            self._cache.clear()
            return
        principal = self._cache.pop(user.strip().lower())
        if principal is not None:
            for key, cached in self._cache.items():
                if cached.user_id == principal.user_id:
                    self._cache.pop(key)
