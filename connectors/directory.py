"""Entra ID users and transitive group memberships through Graph (implements ``access.Directory``).

The asker is resolved while they wait, so each request is retried briefly at most
(``SERVING_RETRY`` by default); when Graph still cannot answer, ``DirectoryUnavailable`` makes
the caller fail closed.
"""

from __future__ import annotations

import logging

from msgraph import GraphServiceClient

from access import DirectoryUnavailable, UnknownUser, UserInfo
from connectors.errors import is_not_found, is_unavailable
from connectors.resilience import SERVING_RETRY, RetryPolicy, with_retries

log = logging.getLogger(__name__)

GROUP_TYPE = "#microsoft.graph.group"


class GraphDirectory:
    """Looks users and their groups up through ``/users`` and ``/transitiveMemberOf``."""

    def __init__(self, client: GraphServiceClient, retry: RetryPolicy = SERVING_RETRY) -> None:
        self._client = client
        self._retry = retry

    async def get_user(self, id_or_upn: str) -> UserInfo:
        try:
            user = await with_retries(self._client.users.by_user_id(id_or_upn).get, self._retry, "user lookup")
        except Exception as exc:
            if is_not_found(exc):
                raise UnknownUser(id_or_upn) from exc
            if is_unavailable(exc):
                raise DirectoryUnavailable(f"Graph user lookup failed: {exc}") from exc
            raise DirectoryUnavailable(f"unexpected Graph error: {type(exc).__name__}") from exc
        if user is None or not user.id:
            raise UnknownUser(id_or_upn)
        return UserInfo(
            id=user.id,
            user_principal_name=user.user_principal_name or "",
            display_name=user.display_name or "",
            preferred_language=user.preferred_language,
        )

    async def list_users(self, limit: int = 100) -> list[UserInfo]:
        """The first ``limit`` users of the tenant (the dev page's demo-user picker)."""
        try:
            page = await self._client.users.get()
        except Exception as exc:
            raise DirectoryUnavailable(f"Graph user list failed: {type(exc).__name__}") from exc
        return [
            UserInfo(
                id=u.id,
                user_principal_name=u.user_principal_name or "",
                display_name=u.display_name or "",
                preferred_language=u.preferred_language,
                department=u.department or "",
            )
            for u in (page.value if page and page.value else [])[:limit]
            if u.id
        ]

    async def transitive_group_ids(self, user_id: str) -> list[str]:
        groups: list[str] = []
        builder = self._client.users.by_user_id(user_id).transitive_member_of
        what = "group lookup"
        try:
            page = await with_retries(builder.get, self._retry, what)
            while page is not None:
                for item in page.value or []:
                    if item.odata_type == GROUP_TYPE and item.id:
                        groups.append(item.id)
                if not page.odata_next_link:
                    break
                page = await with_retries(builder.with_url(page.odata_next_link).get, self._retry, what)
        except Exception as exc:
            if is_not_found(exc):
                raise UnknownUser(user_id) from exc
            raise DirectoryUnavailable(f"Graph group lookup failed: {exc}") from exc
        return groups
