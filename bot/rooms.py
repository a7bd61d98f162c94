"""Shared rooms through the Bot Connector: who can read a group chat or channel, and the private
1:1 message to the asker that a room may not see."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from microsoft_agents.activity import Activity, ChannelAccount, ConversationAccount, ConversationParameters
from microsoft_agents.hosting.core import ConnectorClientBase, TurnContext

from answering.assistant import Room
from bot.validation import tenant_of
from caching import TTLCache

log = logging.getLogger(__name__)


def connector_of(context: TurnContext) -> Any:
    """The turn's Bot Connector client (authenticated for the activity's serviceUrl)."""
    return context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]


def roster_key(conversation_id: str) -> str:
    """A channel thread (``…;messageid=…``) has the channel's readers."""
    return conversation_id.split(";", 1)[0]


class RosterCache:
    """Readers of shared rooms (object ids) per conversation, for ``ttl_s`` seconds.

    At most ``max_entries`` conversations are kept, least recently used dropped first.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic, *, max_entries: int = 5_000) -> None:
        self._entries: TTLCache[str, tuple[str, ...]] = TTLCache(ttl_s, max_entries, clock)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, conversation_id: str) -> tuple[str, ...] | None:
        return self._entries.get(roster_key(conversation_id))

    def put(self, conversation_id: str, members: tuple[str, ...]) -> None:
        self._entries.put(roster_key(conversation_id), members)


async def fetch_roster(connector: Any, conversation_id: str, page_size: int = 500) -> tuple[str, ...] | None:
    """Object ids of every member of a conversation; ``None`` if any member has none (a
    federated user, an anonymous meeting guest), so the room cannot be trusted with documents."""
    members: list[str] = []
    token: str | None = None
    while True:
        page = await connector.conversations.get_conversation_paged_members(
            roster_key(conversation_id), page_size=page_size, continuation_token=token
        )
        for member in page.members or []:
            if not member.aad_object_id:
                return None
            members.append(member.aad_object_id.lower())
        token = page.continuation_token
        if not token:
            return tuple(sorted(set(members)))


class Rosters:
    """The readers of a shared room, from the cache or the Bot Connector's paged members API."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self.cache = RosterCache(ttl_s, max_entries=max_entries)

    async def readers(self, context: TurnContext, room: Room) -> tuple[str, ...] | None:
        """``None`` when the room's readers cannot be known (then it gets no documents)."""
        cached = self.cache.get(room.conversation_id)
        if cached is not None:
            return cached
        connector = connector_of(context)
        if connector is None:
            return None
        try:
            members = await fetch_roster(connector, room.conversation_id)
        except Exception as exc:  # noqa: BLE001 - an unknown roster means no documents in the room
            log.warning("could not read the members of a %s: %s", room.kind, type(exc).__name__)
            return None
        if members is not None:
            self.cache.put(room.conversation_id, members)
        return members


async def send_privately(context: TurnContext, message: Activity) -> tuple[str, str | None] | None:
    """A proactive 1:1 message to the asker (Bot Connector create conversation + send): the new
    conversation's id and the sent message's id, or ``None`` when it could not be sent."""
    activity = context.activity
    connector = connector_of(context)
    sender = activity.from_property
    if connector is None or sender is None or activity.recipient is None:
        return None
    tenant = tenant_of(activity)
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=activity.recipient.id, name=activity.recipient.name),
        members=[ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id)],
    )
    if tenant:
        parameters.tenant_id = tenant
        parameters.channel_data = {"tenant": {"id": tenant}}
    try:
        created = await connector.conversations.create_conversation(parameters)
        message.conversation = ConversationAccount(id=created.id, conversation_type="personal", tenant_id=tenant)
        message.from_property = activity.recipient
        message.recipient = ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id)
        message.channel_id = activity.channel_id
        message.service_url = activity.service_url
        sent = await connector.conversations.send_to_conversation(created.id, message)
    except Exception as exc:  # noqa: BLE001 - the room is told that it did not work
        log.warning("could not send the private follow-up: %s", type(exc).__name__)
        return None
    return created.id, (str(getattr(sent, "id", "") or "") or None)
