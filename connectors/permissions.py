"""Mapping Graph driveItem permissions to ACL keys, failing closed.

Understood shapes: a user or an Entra group in ``grantedToV2``/``grantedTo`` or in the link
recipients (``grantedToIdentitiesV2``/``grantedToIdentities``); organisation-wide sharing links
(the tenant key); specific-people links (their recipients); anonymous links (treated as no wider
than organisation-wide). Anything else (SharePoint site groups and site users without an Entra
id, pending invitations, shapes Graph adds later) is *unknown*, and one unknown permission makes
the whole item readable by nobody: a permission we cannot read could be the one that restricts
the item, or one whose holders we cannot name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from msgraph.generated.models.identity_set import IdentitySet
from msgraph.generated.models.permission import Permission

from access import group_key, tenant_key, user_key

READ_ROLES = frozenset({"read", "write", "owner", "sp.full control", "sp.edit", "sp.view"})


@dataclass(frozen=True)
class PermissionMapping:
    """The ACL keys of one item, and what could not be understood."""

    acl: frozenset[str]
    unknown: tuple[str, ...] = field(default_factory=tuple)

    @property
    def readable_by_nobody(self) -> bool:
        return not self.acl


def _identity_keys(identity: IdentitySet | None) -> list[str] | None:
    """Keys for one identity set; None when it names nobody we can key."""
    if identity is None:
        return None
    keys: list[str] = []
    group = getattr(identity, "group", None)
    if group is not None and group.id:
        keys.append(group_key(group.id))
    if identity.user is not None and identity.user.id:
        keys.append(user_key(identity.user.id))
    return keys or None


def map_permission(permission: Permission, tenant_id: str) -> tuple[list[str], str | None]:
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
                recipient_keys = _identity_keys(recipient)
                if recipient_keys is None:
                    return [], "link recipient without an Entra id"
                keys.extend(recipient_keys)
            if not keys:
                return [], f"{scope} link without recipients"
            return keys, None
        return [], f"sharing link scope {scope!r}"
    if permission.invitation is not None and permission.granted_to_v2 is None:
        return [], "pending invitation"
    granted = permission.granted_to_v2 or permission.granted_to
    keys_or_none = _identity_keys(granted)
    if keys_or_none is None:
        return [], "grant names no Entra user or group"
    return keys_or_none, None


def map_permissions(permissions: Iterable[Permission], tenant_id: str) -> PermissionMapping:
    """All keys of an item; empty (nobody) if any permission is not understood."""
    keys: set[str] = set()
    unknown: list[str] = []
    for permission in permissions:
        granted, problem = map_permission(permission, tenant_id)
        if problem is not None:
            unknown.append(f"{permission.id or '?'}: {problem}")
        keys.update(granted)
    if unknown:
        return PermissionMapping(frozenset(), tuple(unknown))
    return PermissionMapping(frozenset(keys))
