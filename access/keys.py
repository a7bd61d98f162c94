"""ACL keys: the strings stamped on every chunk and held by every principal.

Keys are Entra object ids with a kind prefix, never e-mail addresses (addresses are reassigned,
object ids are not). Ids are lower-cased so that Graph's varying case cannot split a key.
"""

USER_PREFIX = "user:"
GROUP_PREFIX = "group:"
TENANT_PREFIX = "tenant:"


def _norm(object_id: str) -> str:
    value = object_id.strip().lower()
    if not value:
        raise ValueError("an ACL key needs a non-empty object id")
    return value


def user_key(object_id: str) -> str:
    """The key of one Entra user (by object id)."""
    return USER_PREFIX + _norm(object_id)


def group_key(object_id: str) -> str:
    """The key of one Entra group (security or Microsoft 365 group, by object id)."""
    return GROUP_PREFIX + _norm(object_id)


def tenant_key(tenant_id: str) -> str:
    """The key everybody in a tenant holds: organisation-wide sharing links map to it."""
    return TENANT_PREFIX + _norm(tenant_id)
