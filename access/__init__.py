"""The permission vocabulary: ACL keys, principals and audiences, and resolving a person.

This package imports nothing else of ours; connectors implement its ``Directory`` protocol.
"""

from access.current import CachedPermissions, CurrentPermissions, PermissionCheckUnavailable
from access.keys import group_key, tenant_key, user_key
from access.principal import Audience, Principal
from access.resolver import Directory, DirectoryUnavailable, PrincipalResolver, UnknownUser, UserInfo

__all__ = [
    "Audience",
    "CachedPermissions",
    "CurrentPermissions",
    "Directory",
    "DirectoryUnavailable",
    "PermissionCheckUnavailable",
    "Principal",
    "PrincipalResolver",
    "UnknownUser",
    "UserInfo",
    "group_key",
    "tenant_key",
    "user_key",
]
