"""Mapping Graph driveItem permissions to ACL keys, failing closed.

Understood shapes:

* a user or an Entra group in ``grantedToV2``/``grantedTo`` or in link recipients
  (``grantedToIdentitiesV2``/``grantedToIdentities``);
* a SharePoint principal known only by its SharePoint id (``siteUser`` without ``user``/``group``),
  read through its claims ``loginName``: ``i:0#.f|membership|<upn>`` (a user, looked up by UPN),
  ``c:0t.c|tenant|<id>`` (an Entra security group), ``c:0o.c|federateddirectoryclaimprovider|<id>``
  (the members of a Microsoft 365 group; ``<id>_o``: its owners),
  ``c:0-.f|rolemanager|spo-grid-all-users/<tenant>`` (everyone in the organisation);
* SharePoint site groups (``grantedToV2.siteGroup``): Graph cannot list their members, so the
  *Owners* and *Members* groups of a site connected to a Microsoft 365 group are mapped to that
  group's owners and members (what SharePoint itself puts in them), and any site group can be
  mapped explicitly by the administrator (``SHAREPOINT_SITE_GROUP_MAP``);
* organisation-wide sharing links (the tenant key); specific-people links (their recipients);
  anonymous links (treated as no wider than organisation-wide).

Anything else (a site group that cannot be resolved, pending invitations, external users without
an Entra id, shapes Graph adds later) is *unknown*, and one unknown permission makes the whole
item readable by nobody: better no answer than an answer from a document someone may not read.

Mapping is pure: what needs Graph (users by UPN, owners of a group) is gathered first with
``lookups_needed`` and handed in as ``Lookups``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from msgraph.generated.models.identity_set import IdentitySet
from msgraph.generated.models.permission import Permission

from access import group_key, tenant_key, user_key

READ_ROLES = frozenset({"read", "write", "owner", "sp.full control", "sp.edit", "sp.view"})

_USER_CLAIM = "i:0#.f|membership|"
_SECURITY_GROUP_CLAIM = "c:0t.c|tenant|"
_M365_GROUP_CLAIM = "c:0o.c|federateddirectoryclaimprovider|"
_EVERYONE_CLAIM = "c:0-.f|rolemanager|spo-grid-all-users/"


@dataclass(frozen=True)
class PermissionMapping:
    """The ACL keys of one item, and what could not be understood."""

    acl: frozenset[str]
    unknown: tuple[str, ...] = field(default_factory=tuple)

    @property
    def readable_by_nobody(self) -> bool:
        return not self.acl


@dataclass(frozen=True)
class Lookups:
    """What mapping needs from outside the permission itself.

    ``connected_group_id``: the Microsoft 365 group the item's site belongs to (None: not
    group-connected). ``users_by_upn``: lower-cased UPN → object id, for the UPNs named in claims
    (a missing UPN is unknown). ``group_owners``: group id → owner object ids.
    ``site_group_map``: lower-cased site group name → ACL keys the administrator gave it.
    """

    connected_group_id: str | None = None
    users_by_upn: Mapping[str, str] = field(default_factory=dict)
    group_owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    site_group_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


NO_LOOKUPS = Lookups()


@dataclass(frozen=True)
class Needed:
    """Lookups a set of permissions needs: UPNs to resolve, groups whose owners to list."""

    upns: frozenset[str] = frozenset()
    owner_groups: frozenset[str] = frozenset()


def _login_names(permission: Permission) -> list[str]:
    names: list[str] = []
    for identity in [permission.granted_to_v2, *(permission.granted_to_identities_v2 or [])]:
        site_user = getattr(identity, "site_user", None)
        if site_user is not None and site_user.login_name:
            names.append(site_user.login_name)
    return names


def lookups_needed(permissions: Iterable[Permission], connected_group_id: str | None) -> Needed:
    """The UPNs and group owners that mapping ``permissions`` will ask ``Lookups`` for."""
    upns: set[str] = set()
    owner_groups: set[str] = set()
    for permission in permissions:
        for login in _login_names(permission):
            lowered = login.lower()
            if lowered.startswith(_USER_CLAIM):
                upns.add(lowered.removeprefix(_USER_CLAIM))
            elif lowered.startswith(_M365_GROUP_CLAIM) and lowered.endswith("_o"):
                owner_groups.add(lowered.removeprefix(_M365_GROUP_CLAIM)[:-2])
        site_group = getattr(permission.granted_to_v2, "site_group", None)
        if site_group is not None and connected_group_id and _site_group_role(site_group.display_name) == "owners":
            owner_groups.add(connected_group_id.lower())
    return Needed(frozenset(upns), frozenset(owner_groups))


def _site_group_role(name: str | None) -> str:
    """'owners', 'members', 'visitors' for the default groups ("<Site> Owners"), else ''."""
    last = (name or "").strip().rsplit(" ", 1)[-1].lower()
    return last if last in ("owners", "members", "visitors") else ""


def _owner_keys(group_id: str, lookups: Lookups) -> list[str] | None:
    owners = lookups.group_owners.get(group_id.lower())
    return [user_key(o) for o in owners] if owners else None


def _claim_keys(login: str, tenant_id: str, lookups: Lookups) -> list[str] | None:
    """Keys for a SharePoint claims login name; None when it names nobody we can key."""
    lowered = login.lower()
    if lowered.startswith(_USER_CLAIM):
        object_id = lookups.users_by_upn.get(lowered.removeprefix(_USER_CLAIM))
        return [user_key(object_id)] if object_id else None
    if lowered.startswith(_SECURITY_GROUP_CLAIM):
        return [group_key(lowered.removeprefix(_SECURITY_GROUP_CLAIM))]
    if lowered.startswith(_M365_GROUP_CLAIM):
        group_id = lowered.removeprefix(_M365_GROUP_CLAIM)
        if group_id.endswith("_o"):
            return _owner_keys(group_id[:-2], lookups)
        return [group_key(group_id)]
    if lowered.startswith(_EVERYONE_CLAIM) and lowered.removeprefix(_EVERYONE_CLAIM) == tenant_id.lower():
        return [tenant_key(tenant_id)]
    return None


def _site_group_keys(name: str | None, lookups: Lookups) -> list[str] | None:
    explicit = lookups.site_group_map.get((name or "").strip().lower())
    if explicit:
        return list(explicit)
    if lookups.connected_group_id is None:
        return None
    role = _site_group_role(name)
    if role == "members":
        return [group_key(lookups.connected_group_id)]
    if role == "owners":
        return _owner_keys(lookups.connected_group_id, lookups)
    return None


def _identity_keys(identity: IdentitySet | None, tenant_id: str, lookups: Lookups) -> list[str] | None:
    """Keys for one identity set; None when it names nobody we can key."""
    if identity is None:
        return None
    keys: list[str] = []
    group = getattr(identity, "group", None)
    if group is not None and group.id:
        keys.append(group_key(group.id))
    if identity.user is not None and identity.user.id:
        keys.append(user_key(identity.user.id))
    if keys:
        return keys
    site_group = getattr(identity, "site_group", None)
    if site_group is not None:
        return _site_group_keys(site_group.display_name, lookups)
    site_user = getattr(identity, "site_user", None)
    if site_user is not None and site_user.login_name:
        return _claim_keys(site_user.login_name, tenant_id, lookups)
    return None


def _describe(identity: IdentitySet | None) -> str:
    site_group = getattr(identity, "site_group", None)
    if site_group is not None:
        return f"site group {site_group.display_name or site_group.id!r} cannot be resolved"
    site_user = getattr(identity, "site_user", None)
    if site_user is not None:
        return f"SharePoint principal {site_user.login_name or site_user.id!r} cannot be resolved"
    return "grant names no Entra user or group"


def map_permission(
    permission: Permission, tenant_id: str, lookups: Lookups = NO_LOOKUPS
) -> tuple[list[str], str | None]:
    """Keys granted by one permission, or an explanation why it is not understood."""
    roles = {r.lower() for r in (permission.roles or [])}
    if not roles:
        return [], "no roles"
    if roles.isdisjoint(READ_ROLES):
        return [], f"roles {sorted(roles)} grant no read access"
    if permission.link is not None:
        scope = (permission.link.scope or "").lower()
        if scope in ("organization", "anonymous"):
            return [tenant_key(tenant_id)], None
        if scope in ("users", "existingaccess"):
            recipients = permission.granted_to_identities_v2 or permission.granted_to_identities or []
            keys: list[str] = []
            for recipient in recipients:
                recipient_keys = _identity_keys(recipient, tenant_id, lookups)
                if recipient_keys is None:
                    return [], f"link recipient: {_describe(recipient)}"
                keys.extend(recipient_keys)
            if not keys:
                return [], f"{scope} link without recipients"
            return keys, None
        return [], f"sharing link scope {scope!r}"
    if permission.invitation is not None and permission.granted_to_v2 is None:
        return [], "pending invitation"
    granted = permission.granted_to_v2 or permission.granted_to
    keys_or_none = _identity_keys(granted, tenant_id, lookups)
    if keys_or_none is None:
        return [], _describe(granted)
    return keys_or_none, None


def map_permissions(
    permissions: Iterable[Permission], tenant_id: str, lookups: Lookups = NO_LOOKUPS
) -> PermissionMapping:
    """All keys of an item; empty (nobody) if any permission is not understood."""
    keys: set[str] = set()
    unknown: list[str] = []
    for permission in permissions:
        granted, problem = map_permission(permission, tenant_id, lookups)
        if problem is not None:
            unknown.append(f"{permission.id or '?'}: {problem}")
        keys.update(granted)
    if unknown:
        return PermissionMapping(frozenset(), tuple(unknown))
    return PermissionMapping(frozenset(keys))
