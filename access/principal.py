"""Who is asking (a principal) and who will read the answer (an audience)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from access.keys import group_key, tenant_key, user_key


@dataclass(frozen=True)
class Principal:
    """One person as the index sees them: their own key, their transitive groups, their tenant."""

    tenant_id: str
    user_id: str
    group_ids: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""

    @property
    def acl_keys(self) -> frozenset[str]:
        keys = {user_key(self.user_id), tenant_key(self.tenant_id)}
        keys.update(group_key(g) for g in self.group_ids)
        return frozenset(keys)

    def can_read(self, acl: Iterable[str]) -> bool:
        """True when the chunk ACL shares a key with this principal; an empty ACL reads as nobody."""
        return not self.acl_keys.isdisjoint(acl)


@dataclass(frozen=True)
class Audience:
    """Everybody who will read an answer. A chunk is usable only if *every* member may read it.

    In a 1:1 chat or the web part the audience is the asker alone; in a channel or group chat it is
    every member of the room.
    """

    members: tuple[Principal, ...]

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("an audience needs at least one principal")

    @classmethod
    def of(cls, principal: Principal) -> Audience:
        return cls((principal,))

    def can_read(self, acl: Iterable[str]) -> bool:
        acl_set = frozenset(acl)
        return all(member.can_read(acl_set) for member in self.members)
