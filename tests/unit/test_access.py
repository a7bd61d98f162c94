"""ACL keys, principals, audiences and the TTL-cached principal resolver."""

from __future__ import annotations

import asyncio

import pytest

from access import (
    Audience,
    DirectoryUnavailable,
    Principal,
    PrincipalResolver,
    UnknownUser,
    UserInfo,
    group_key,
    tenant_key,
    user_key,
)

TENANT = "77DAFC92-9EC6-4006-B1F4-8E658B4D7177"


# --- keys ------------------------------------------------------------------------------------


def test_keys_have_kind_prefix_and_are_lower_cased_and_stripped() -> None:
    assert user_key("  ABC-Def ") == "user:abc-def"
    assert group_key("G-1") == "group:g-1"
    assert tenant_key("T-X") == "tenant:t-x"


def test_keys_of_different_kinds_never_collide() -> None:
    assert len({user_key("same"), group_key("same"), tenant_key("same")}) == 3


@pytest.mark.parametrize("make", [user_key, group_key, tenant_key])
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_keys_refuse_empty_ids(make, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        make(value)


# --- principal / audience --------------------------------------------------------------------


def _principal(user: str = "U1", groups: tuple[str, ...] = ("G1", "G2"), tenant: str = TENANT) -> Principal:
    return Principal(tenant_id=tenant, user_id=user, group_ids=frozenset(groups))


def test_acl_keys_are_user_tenant_and_every_group() -> None:
    assert _principal().acl_keys == frozenset({"user:u1", "group:g1", "group:g2", tenant_key(TENANT)})


def test_acl_keys_without_groups() -> None:
    assert _principal(groups=()).acl_keys == frozenset({"user:u1", tenant_key(TENANT)})


def test_can_read_when_one_key_is_shared() -> None:
    p = _principal()
    assert p.can_read({"group:g2", "group:other"})
    assert p.can_read(["user:u1"])
    assert p.can_read({tenant_key(TENANT)})


def test_cannot_read_foreign_keys() -> None:
    p = _principal()
    assert not p.can_read({"group:g3", "user:u2", "tenant:other"})
    # An ACL key is compared by kind: a *group* named like the user is not the user.
    assert not p.can_read({"group:u1"})


def test_empty_acl_is_readable_by_nobody() -> None:
    assert not _principal().can_read(frozenset())
    assert not _principal().can_read([])
    assert not Audience.of(_principal()).can_read(())


def test_audience_requires_every_member() -> None:
    anna = _principal("anna", ("finance", "all"))
    ben = _principal("ben", ("engineering", "all"))
    room = Audience((anna, ben))
    assert room.can_read({"group:all"})
    assert not room.can_read({"group:finance"})  # only Anna
    assert room.can_read({"group:finance", "group:engineering"})  # each through another key
    assert not room.can_read({"user:anna"})
    assert Audience.of(anna).can_read({"group:finance"})


def test_audience_accepts_a_one_shot_iterable_acl() -> None:
    anna = _principal("anna", ("all",))
    ben = _principal("ben", ("all",))
    # A generator can be iterated once; every member must still see all of it.
    assert Audience((anna, ben)).can_read(k for k in ["group:all"])


def test_audience_needs_a_member() -> None:
    with pytest.raises(ValueError):
        Audience(())


# --- resolver --------------------------------------------------------------------------------


class FakeDirectory:
    """Users by id and UPN; counts every call."""

    def __init__(self) -> None:
        self.users = {
            "Anna-ID": UserInfo("Anna-ID", "anna.schmidt@contoso.dev", "Anna Schmidt", "de-DE"),
        }
        self.groups = {"Anna-ID": ["GROUP-A", "group-b"]}
        self.get_user_calls: list[str] = []
        self.group_calls: list[str] = []
        self.down = False

    async def get_user(self, id_or_upn: str) -> UserInfo:
        self.get_user_calls.append(id_or_upn)
        await asyncio.sleep(0)
        if self.down:
            raise DirectoryUnavailable("down")
        for info in self.users.values():
            if id_or_upn.lower() in (info.id.lower(), info.user_principal_name.lower()):
                return info
        raise UnknownUser(id_or_upn)

    async def transitive_group_ids(self, user_id: str) -> list[str]:
        self.group_calls.append(user_id)
        await asyncio.sleep(0)
        return list(self.groups.get(user_id, []))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _resolver(ttl: float = 300.0) -> tuple[PrincipalResolver, FakeDirectory, Clock]:
    directory, clock = FakeDirectory(), Clock()
    return PrincipalResolver(directory, TENANT, ttl_s=ttl, clock=clock), directory, clock


def test_resolve_builds_lower_cased_principal() -> None:
    resolver, _, _ = _resolver()
    principal = asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    assert principal.user_id == "anna-id"
    assert principal.group_ids == frozenset({"group-a", "group-b"})
    assert principal.tenant_id == TENANT.lower()
    assert principal.display_name == "Anna Schmidt"
    assert principal.acl_keys == {"user:anna-id", "group:group-a", "group:group-b", tenant_key(TENANT)}


def test_resolve_caches_within_ttl_and_reasks_after() -> None:
    resolver, directory, clock = _resolver(ttl=60)
    first = asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    clock.now += 59.9
    again = asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    assert again == first
    assert len(directory.get_user_calls) == 1 and len(directory.group_calls) == 1

    directory.groups["Anna-ID"] = ["GROUP-A"]  # removed from group-b meanwhile
    clock.now += 0.1  # exactly ttl since the first lookup: stale
    after = asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    assert len(directory.get_user_calls) == 2 and len(directory.group_calls) == 2
    assert after.group_ids == frozenset({"group-a"})


def test_resolve_by_upn_then_by_id_hits_the_cache() -> None:
    resolver, directory, _ = _resolver()

    async def go() -> tuple[Principal, Principal, Principal]:
        return (
            await resolver.resolve("Anna.Schmidt@Contoso.dev"),
            await resolver.resolve("ANNA-ID"),
            await resolver.resolve("  anna.schmidt@contoso.dev "),
        )

    by_upn, by_id, by_upn_again = asyncio.run(go())
    assert by_upn == by_id == by_upn_again
    assert directory.get_user_calls == ["anna.schmidt@contoso.dev"]
    assert directory.group_calls == ["Anna-ID"]


def test_resolve_by_id_twice_asks_once() -> None:
    resolver, directory, _ = _resolver()

    async def go() -> None:
        await resolver.resolve("anna-id")
        await resolver.resolve("anna-id")

    asyncio.run(go())
    assert directory.get_user_calls == ["anna-id"]


def test_concurrent_resolves_ask_the_directory_once() -> None:
    resolver, directory, _ = _resolver()

    async def go() -> list[Principal]:
        return list(await asyncio.gather(*(resolver.resolve("anna.schmidt@contoso.dev") for _ in range(5))))

    results = asyncio.run(go())
    assert len(set(results)) == 1
    assert len(directory.get_user_calls) == 1


def test_other_tenant_is_refused_without_asking() -> None:
    resolver, directory, _ = _resolver()
    with pytest.raises(UnknownUser):
        asyncio.run(resolver.resolve("anna.schmidt@contoso.dev", tenant_id="11111111-0000-0000-0000-000000000000"))
    assert directory.get_user_calls == []


def test_same_tenant_in_other_case_is_served() -> None:
    resolver, _, _ = _resolver()
    principal = asyncio.run(resolver.resolve("anna.schmidt@contoso.dev", tenant_id=TENANT.lower()))
    assert principal.user_id == "anna-id"


@pytest.mark.parametrize("user", ["", "   "])
def test_empty_user_is_unknown(user: str) -> None:
    resolver, directory, _ = _resolver()
    with pytest.raises(UnknownUser):
        asyncio.run(resolver.resolve(user))
    assert directory.get_user_calls == []


def test_unknown_user_propagates_and_is_not_cached() -> None:
    resolver, directory, _ = _resolver()
    with pytest.raises(UnknownUser):
        asyncio.run(resolver.resolve("ghost@contoso.dev"))
    with pytest.raises(UnknownUser):
        asyncio.run(resolver.resolve("ghost@contoso.dev"))
    assert len(directory.get_user_calls) == 2


def test_directory_down_propagates_fail_closed() -> None:
    resolver, directory, _ = _resolver()
    directory.down = True
    with pytest.raises(DirectoryUnavailable):
        asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))


def test_forget_everything_reasks() -> None:
    resolver, directory, _ = _resolver()
    asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    resolver.forget()
    asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    asyncio.run(resolver.resolve("anna-id"))
    assert len(directory.get_user_calls) == 2


def test_forget_one_user_drops_every_cache_entry_of_that_user() -> None:
    resolver, directory, _ = _resolver()
    asyncio.run(resolver.resolve("anna.schmidt@contoso.dev"))
    directory.groups["Anna-ID"] = []
    resolver.forget("anna.schmidt@contoso.dev")
    principal = asyncio.run(resolver.resolve("anna-id"))
    assert principal.group_ids == frozenset()
