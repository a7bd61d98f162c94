"""Graph driveItem permissions → ACL keys, failing closed on anything not understood."""

from __future__ import annotations

import pytest
from msgraph.generated.models.identity import Identity
from msgraph.generated.models.identity_set import IdentitySet
from msgraph.generated.models.permission import Permission
from msgraph.generated.models.share_point_identity import SharePointIdentity
from msgraph.generated.models.share_point_identity_set import SharePointIdentitySet
from msgraph.generated.models.sharing_invitation import SharingInvitation
from msgraph.generated.models.sharing_link import SharingLink

from access import group_key, tenant_key, user_key
from connectors.permissions import Lookups, PermissionMapping, lookups_needed, map_permission, map_permissions

TENANT = "77DAFC92-9EC6-4006-B1F4-8E658B4D7177"
USER = "8D89D7D8-3CE0-494A-B29A-B5CB674E4020"
USER2 = "06b1b9c2-e4eb-456a-ae1f-8f651dde2f78"
GROUP = "22D0AA66-F966-4660-9E91-6E33431710A3"


def _user(object_id: str = USER) -> Identity:
    return Identity(id=object_id, display_name="Anna Schmidt")


def _group(object_id: str = GROUP) -> Identity:
    return Identity(id=object_id, display_name="Alle Mitarbeitenden")


def user_grant(object_id: str = USER, roles: list[str] | None = None, pid: str = "p-user") -> Permission:
    return Permission(
        id=pid,
        roles=["read"] if roles is None else roles,
        granted_to_v2=SharePointIdentitySet(
            user=_user(object_id),
            site_user=SharePointIdentity(id="12", display_name="Anna Schmidt", login_name="i:0#.f|membership|anna"),
        ),
    )


def group_grant(object_id: str = GROUP, pid: str = "p-group") -> Permission:
    return Permission(id=pid, roles=["write"], granted_to_v2=SharePointIdentitySet(group=_group(object_id)))


def link(scope: str, recipients: list[SharePointIdentitySet] | None = None, pid: str = "p-link") -> Permission:
    return Permission(
        id=pid,
        roles=["read"],
        link=SharingLink(scope=scope, type="view", web_url="https://contoso.sharepoint.com/:w:/s/x"),
        granted_to_identities_v2=recipients,
    )


def site_group_grant(pid: str = "p-sitegroup", name: str = "Intranet Owners") -> Permission:
    return Permission(
        id=pid,
        roles=["sp.full control"],
        granted_to_v2=SharePointIdentitySet(site_group=SharePointIdentity(id="3", display_name=name, login_name=name)),
    )


def site_user(login: str) -> SharePointIdentitySet:
    """A principal SharePoint knows only by its SharePoint id and claims login name."""
    return SharePointIdentitySet(site_user=SharePointIdentity(id="14", display_name="someone", login_name=login))


# --- single permissions ----------------------------------------------------------------------


def test_user_grant_maps_to_lower_cased_user_key() -> None:
    assert map_permission(user_grant(), TENANT) == ([user_key(USER)], None)
    assert user_key(USER) == "user:" + USER.lower()


@pytest.mark.parametrize("role", ["read", "write", "owner", "sp.full control", "sp.edit", "sp.view", "Read", "SP.View"])
def test_every_read_role_grants_reading(role: str) -> None:
    keys, problem = map_permission(user_grant(roles=[role]), TENANT)
    assert problem is None and keys == [user_key(USER)]


def test_group_grant_maps_to_group_key() -> None:
    assert map_permission(group_grant(), TENANT) == ([group_key(GROUP)], None)


@pytest.mark.parametrize("scope", ["organization", "anonymous", "Organization", "ANONYMOUS"])
def test_org_and_anonymous_links_map_to_exactly_the_tenant_key(scope: str) -> None:
    keys, problem = map_permission(link(scope), TENANT)
    assert problem is None
    assert keys == [tenant_key(TENANT)]  # never wider than the tenant


def test_users_link_maps_to_its_recipients() -> None:
    permission = link(
        "users",
        [
            SharePointIdentitySet(user=_user(USER)),
            SharePointIdentitySet(group=_group(GROUP)),
            SharePointIdentitySet(user=_user(USER2)),
        ],
    )
    keys, problem = map_permission(permission, TENANT)
    assert problem is None
    assert set(keys) == {user_key(USER), group_key(GROUP), user_key(USER2)}
    assert tenant_key(TENANT) not in keys


def test_existing_access_link_uses_legacy_recipients() -> None:
    permission = Permission(
        id="p",
        roles=["read"],
        link=SharingLink(scope="existingAccess"),
        granted_to_identities=[IdentitySet(user=_user(USER2))],
    )
    assert map_permission(permission, TENANT) == ([user_key(USER2)], None)


def test_users_link_without_recipients_is_unknown() -> None:
    keys, problem = map_permission(link("users", []), TENANT)
    assert keys == [] and problem is not None


def test_users_link_with_a_recipient_without_entra_id_is_unknown() -> None:
    external = SharePointIdentitySet(site_user=SharePointIdentity(id="44", display_name="guest", login_name="i:0#.f|x"))
    keys, problem = map_permission(link("users", [SharePointIdentitySet(user=_user()), external]), TENANT)
    assert keys == [] and problem is not None


def test_unknown_link_scope_is_unknown() -> None:
    keys, problem = map_permission(link("somethingNew"), TENANT)
    assert keys == [] and problem is not None and "somethingnew" in problem


def test_legacy_granted_to_user_only() -> None:
    permission = Permission(id="legacy", roles=["read"], granted_to=IdentitySet(user=_user(USER2)))
    assert map_permission(permission, TENANT) == ([user_key(USER2)], None)


def test_site_group_only_grant_is_unknown() -> None:
    keys, problem = map_permission(site_group_grant(), TENANT)
    assert keys == [] and problem is not None


def test_identity_without_id_is_unknown() -> None:
    permission = Permission(
        id="p", roles=["read"], granted_to_v2=SharePointIdentitySet(user=Identity(display_name="no id"))
    )
    keys, problem = map_permission(permission, TENANT)
    assert keys == [] and problem is not None


def test_pending_invitation_is_unknown() -> None:
    permission = Permission(
        id="inv", roles=["read"], invitation=SharingInvitation(email="someone@example.com", sign_in_required=True)
    )
    keys, problem = map_permission(permission, TENANT)
    assert keys == [] and problem == "pending invitation"


def test_redeemed_invitation_with_grantee_maps_to_grantee() -> None:
    permission = Permission(
        id="inv",
        roles=["read"],
        invitation=SharingInvitation(email="x@contoso.dev"),
        granted_to_v2=SharePointIdentitySet(user=_user(USER2)),
    )
    assert map_permission(permission, TENANT) == ([user_key(USER2)], None)


@pytest.mark.parametrize("roles", [None, []])
def test_no_roles_is_unknown(roles: list[str] | None) -> None:
    permission = Permission(id="p", roles=roles, granted_to_v2=SharePointIdentitySet(user=_user()))
    keys, problem = map_permission(permission, TENANT)
    assert keys == [] and problem == "no roles"


def test_roles_without_read_are_unknown() -> None:
    keys, problem = map_permission(user_grant(roles=["sp.limited access"]), TENANT)
    assert keys == [] and problem is not None


# --- whole items -----------------------------------------------------------------------------


def test_item_with_only_known_permissions_gets_the_union() -> None:
    mapping = map_permissions([user_grant(), group_grant(), link("organization")], TENANT)
    assert mapping == PermissionMapping(frozenset({user_key(USER), group_key(GROUP), tenant_key(TENANT)}))
    assert not mapping.readable_by_nobody
    assert mapping.unknown == ()


def test_site_group_makes_the_whole_item_readable_by_nobody() -> None:
    mapping = map_permissions([site_group_grant()], TENANT)
    assert mapping.acl == frozenset()
    assert mapping.readable_by_nobody
    assert len(mapping.unknown) == 1 and mapping.unknown[0].startswith("p-sitegroup:")


def test_invitation_only_item_is_readable_by_nobody() -> None:
    mapping = map_permissions(
        [Permission(id="inv", roles=["read"], invitation=SharingInvitation(email="a@b.c"))], TENANT
    )
    assert mapping.readable_by_nobody and mapping.unknown == ("inv: pending invitation",)


def test_mixed_known_and_unknown_drops_every_key_and_lists_the_unknown() -> None:
    mapping = map_permissions(
        [
            user_grant(),
            group_grant(),
            link("organization"),
            site_group_grant("sg"),
            Permission(id="nr", roles=[], granted_to_v2=SharePointIdentitySet(user=_user())),
        ],
        TENANT,
    )
    assert mapping.acl == frozenset()
    assert mapping.readable_by_nobody
    assert [u.split(":")[0] for u in mapping.unknown] == ["sg", "nr"]


def test_item_without_permissions_is_readable_by_nobody() -> None:
    mapping = map_permissions([], TENANT)
    assert mapping.readable_by_nobody and mapping.unknown == ()


def test_permission_without_id_is_reported_with_placeholder() -> None:
    mapping = map_permissions([Permission(roles=["read"])], TENANT)
    assert mapping.readable_by_nobody
    assert mapping.unknown[0].startswith("?:")


# --- site groups and SharePoint-id-only principals ------------------------------------------------

CONNECTED = Lookups(connected_group_id=GROUP.lower(), group_owners={GROUP.lower(): (USER2.lower(),)})


def test_members_site_group_of_a_group_connected_site_is_the_group() -> None:
    assert map_permission(site_group_grant(name="Intranet Members"), TENANT, CONNECTED) == ([group_key(GROUP)], None)


def test_owners_site_group_of_a_group_connected_site_is_the_group_owners() -> None:
    assert map_permission(site_group_grant(name="Intranet Owners"), TENANT, CONNECTED) == ([user_key(USER2)], None)


def test_owners_site_group_without_known_owners_is_unknown() -> None:
    lookups = Lookups(connected_group_id=GROUP.lower())
    keys, problem = map_permission(site_group_grant(name="Intranet Owners"), TENANT, lookups)
    assert keys == [] and problem is not None and "Intranet Owners" in problem


@pytest.mark.parametrize("name", ["Intranet Visitors", "Custom Readers"])
def test_visitors_and_custom_site_groups_cannot_be_expanded(name: str) -> None:
    keys, problem = map_permission(site_group_grant(name=name), TENANT, CONNECTED)
    assert keys == [] and problem is not None and "cannot be resolved" in problem


def test_site_group_map_from_the_administrator_wins() -> None:
    lookups = Lookups(site_group_map={"intranet visitors": (group_key(GROUP),)})
    assert map_permission(site_group_grant(name="Intranet Visitors"), TENANT, lookups) == ([group_key(GROUP)], None)


def test_site_group_of_a_site_without_connected_group_makes_the_item_unreadable() -> None:
    mapping = map_permissions([user_grant(), site_group_grant(name="Intranet Members")], TENANT, Lookups())
    assert mapping.readable_by_nobody and len(mapping.unknown) == 1


def test_users_link_recipient_known_only_by_sharepoint_id_is_resolved_by_upn() -> None:
    permission = link("users", [site_user("i:0#.f|membership|Carol@Contoso.dev")])
    assert lookups_needed([permission], None).upns == {"carol@contoso.dev"}
    lookups = Lookups(users_by_upn={"carol@contoso.dev": USER2})
    assert map_permission(permission, TENANT, lookups) == ([user_key(USER2)], None)
    keys, problem = map_permission(permission, TENANT, Lookups())
    assert keys == [] and problem is not None  # a UPN Graph does not know: nobody


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        (f"c:0t.c|tenant|{GROUP}", [group_key(GROUP)]),
        (f"c:0o.c|federateddirectoryclaimprovider|{GROUP}", [group_key(GROUP)]),
        (f"c:0o.c|federateddirectoryclaimprovider|{GROUP}_o", [user_key(USER2)]),
        (f"c:0-.f|rolemanager|spo-grid-all-users/{TENANT}", [tenant_key(TENANT)]),
    ],
)
def test_claims_of_groups_owners_and_everyone(login: str, expected: list[str]) -> None:
    permission = Permission(id="p", roles=["read"], granted_to_v2=site_user(login))
    assert map_permission(permission, TENANT, CONNECTED) == (expected, None)


@pytest.mark.parametrize(
    "login",
    [
        "c:0-.f|rolemanager|spo-grid-all-users/another-tenant",
        "i:0#.f|membership|urn:spo:anon#abc",  # an anonymous guest
        "c:0(.s|true",  # "Everyone", including external users
        "i:0i.t|00000003-0000-0ff1-ce00-000000000000|app@sharepoint",
    ],
)
def test_other_claims_are_unknown(login: str) -> None:
    permission = Permission(id="p", roles=["read"], granted_to_v2=site_user(login))
    keys, problem = map_permission(permission, TENANT, CONNECTED)
    assert keys == [] and problem is not None


def test_lookups_needed_lists_owners_of_the_connected_group_and_claims() -> None:
    permissions = [
        site_group_grant(name="Intranet Owners"),
        Permission(id="o", roles=["read"], granted_to_v2=site_user("c:0o.c|federateddirectoryclaimprovider|ABC_o")),
    ]
    needed = lookups_needed(permissions, GROUP.lower())
    assert needed.owner_groups == {GROUP.lower(), "abc"} and needed.upns == frozenset()
    assert lookups_needed([site_group_grant(name="Intranet Owners")], None).owner_groups == frozenset()
