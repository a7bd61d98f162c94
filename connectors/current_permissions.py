"""The answer-time permission check through Graph: ``CurrentPermissions`` over driveItem /permissions."""

from __future__ import annotations

import asyncio
import logging

from access import PermissionCheckUnavailable
from connectors.sharepoint import SharePointSource
from retrieval.source import ItemGone

log = logging.getLogger(__name__)


class GraphCurrentPermissions:
    """Maps an item's permissions exactly as sync does (``SharePointSource.item_acl``).

    A deleted item (``ItemGone``) is readable by nobody; any other failure, or no answer within
    ``timeout_s``, means the check could not be made, and the caller fails closed. Give ``source``
    the brief ``SERVING_RETRY`` policy, not the sync's: a person is waiting, and a long
    ``Retry-After`` should fail the check at once rather than run into the timeout.
    """

    def __init__(self, source: SharePointSource, timeout_s: float = 5.0) -> None:
        self._source = source
        self._timeout_s = timeout_s

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        try:
            async with asyncio.timeout(self._timeout_s):
                mapping = await self._source.item_acl(drive_id, item_id)
        except ItemGone:
            return frozenset()
        except Exception as exc:  # noqa: BLE001 - every failure must fail closed
            log.warning("answer-time permission check failed for %s/%s: %s", drive_id, item_id, type(exc).__name__)
            raise PermissionCheckUnavailable(f"cannot read permissions of {item_id}") from exc
        return mapping.acl
