"""Users, groups and (nested) group membership of the dev tenant."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from .manifest import Manifest, ManifestError

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"

_USER_DEFAULTS: dict[str, Any] = {
    "businessPhones": [],
    "givenName": None,
    "surname": None,
    "jobTitle": None,
    "mail": None,
    "mobilePhone": None,
    "officeLocation": None,
    "preferredLanguage": None,
    "accountEnabled": True,
    "userType": "Member",
}
_GROUP_DEFAULTS: dict[str, Any] = {
    "description": None,
    "groupTypes": [],
    "mail": None,
    "mailEnabled": False,
    "mailNickname": None,
    "securityEnabled": True,
    "visibility": None,
    "createdDateTime": "2024-01-01T08:00:00Z",
}


class Directory:
    """Read-only directory built from the manifest (users, groups, memberships)."""

    def __init__(self, manifest: Manifest) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self._members: dict[str, list[str]] = {}
        self._owners: dict[str, list[str]] = {}
        self._upn: dict[str, str] = {}
        for raw in manifest.users:
            user = {"@odata.type": USER_TYPE, "id": raw["id"], **_USER_DEFAULTS}
            user.update({k: v for k, v in raw.items() if k != "id"})
            if user.get("givenName") is None and " " in str(user.get("displayName", "")):
                user["givenName"], user["surname"] = str(user["displayName"]).split(" ", 1)
            self.users[raw["id"]] = user
            self._upn[str(raw["userPrincipalName"]).lower()] = raw["id"]
        for raw in manifest.groups:
            group = {"@odata.type": GROUP_TYPE, "id": raw["id"], **_GROUP_DEFAULTS}
            group.update({k: v for k, v in raw.items() if k not in ("id", "members", "owners")})
            if group.get("mail") is None and "Unified" in group["groupTypes"]:
                group["mail"] = f"{group.get('mailNickname')}@{manifest.domain}"
            self.groups[raw["id"]] = group
            self._members[raw["id"]] = [str(m) for m in raw.get("members", [])]
            self._owners[raw["id"]] = [str(m) for m in raw.get("owners", [])]
        for gid, members in self._members.items():
            resolved: list[str] = []
            for member in members:
                object_id = self._resolve_member(member)
                if object_id is None:
                    raise ManifestError(f"group {gid}: unknown member {member!r}")
                resolved.append(object_id)
            self._members[gid] = resolved
        for gid, owners in self._owners.items():
            owner_ids = [self._resolve_member(owner) for owner in owners]
            if None in owner_ids or any(o not in self.users for o in owner_ids if o):
                raise ManifestError(f"group {gid}: owners must be users: {owners}")
            self._owners[gid] = [o for o in owner_ids if o]

    def _resolve_member(self, key: str) -> str | None:
        if key in self.users or key in self.groups:
            return key
        if key.lower() in self._upn:
            return self._upn[key.lower()]
        group = self.group_by_name(key)
        return group["id"] if group else None

    # -- lookups -----------------------------------------------------------------
    def user(self, key: str) -> dict[str, Any] | None:
        """A user by object id or userPrincipalName."""
        if key in self.users:
            return self.users[key]
        object_id = self._upn.get(key.lower())
        return self.users[object_id] if object_id else None

    def group(self, object_id: str) -> dict[str, Any] | None:
        return self.groups.get(object_id)

    def group_by_name(self, display_name: str) -> dict[str, Any] | None:
        for group in self.groups.values():
            if str(group.get("displayName", "")).lower() == display_name.lower():
                return group
        return None

    def object(self, object_id: str) -> dict[str, Any] | None:
        return self.users.get(object_id) or self.groups.get(object_id)

    # -- membership ----------------------------------------------------------------
    def member_of(self, object_id: str) -> list[dict[str, Any]]:
        """Groups that have `object_id` as a direct member."""
        return [self.groups[g] for g, members in self._members.items() if object_id in members]

    def transitive_member_of(self, object_id: str) -> list[dict[str, Any]]:
        """All groups reached from `object_id` by following membership upwards."""
        seen: dict[str, None] = {}
        queue: deque[str] = deque([object_id])
        while queue:
            current = queue.popleft()
            for group in self.member_of(current):
                if group["id"] not in seen and group["id"] != object_id:
                    seen[group["id"]] = None
                    queue.append(group["id"])
        return [self.groups[g] for g in seen]

    def group_ids(self) -> dict[str, str]:
        """Lower-cased display name and id → id, for references to groups in the manifest."""
        ids = {str(g.get("displayName", "")).lower(): gid for gid, g in self.groups.items()}
        ids.update({gid.lower(): gid for gid in self.groups})
        return ids

    def owners(self, group_id: str) -> list[dict[str, Any]]:
        """Owners (users) of a group."""
        return list(self._objects(self._owners.get(group_id, [])))

    def members(self, group_id: str) -> list[dict[str, Any]]:
        """Direct members (users and groups) of a group."""
        return list(self._objects(self._members.get(group_id, [])))

    def transitive_members(self, group_id: str) -> list[dict[str, Any]]:
        """All users and groups reached by following membership downwards."""
        seen: dict[str, None] = {}
        queue: deque[str] = deque([group_id])
        while queue:
            for member in self._members.get(queue.popleft(), []):
                if member not in seen and member != group_id:
                    seen[member] = None
                    if member in self.groups:
                        queue.append(member)
        return list(self._objects(seen))

    def _objects(self, ids: Iterable[str]) -> Iterable[dict[str, Any]]:
        for object_id in ids:
            obj = self.object(object_id)
            if obj is not None:
                yield obj
