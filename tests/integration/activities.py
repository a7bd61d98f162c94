"""Teams activity JSON, shaped as Teams sends it to a bot's messaging endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

BOT_ID = "28:00000000-0000-0000-0000-00000000b07"
BOT_NAME = "Assistant"


def teams_message(
    *,
    text: str,
    user_id: str,
    user_name: str,
    tenant_id: str,
    service_url: str,
    conversation_type: str = "personal",
    mention_bot: bool = False,
    locale: str = "de-DE",
) -> dict[str, Any]:
    conversation_id = f"{conversation_type}-{uuid.uuid4().hex[:12]}"
    if conversation_type == "channel":
        conversation_id = f"19:{uuid.uuid4().hex}@thread.tacv2;messageid=1700000000000"
    elif conversation_type == "groupChat":
        conversation_id = f"19:{uuid.uuid4().hex}@thread.v2"
    else:
        conversation_id = f"a:1{uuid.uuid4().hex}"
    entities: list[dict[str, Any]] = [
        {"type": "clientInfo", "locale": locale, "country": "DE", "platform": "Web", "timezone": "Europe/Berlin"}
    ]
    if mention_bot:
        mention_text = f"<at>{BOT_NAME}</at>"
        text = f"{mention_text} {text}"
        entities.append({"type": "mention", "text": mention_text, "mentioned": {"id": BOT_ID, "name": BOT_NAME}})
    conversation: dict[str, Any] = {"conversationType": conversation_type, "tenantId": tenant_id, "id": conversation_id}
    if conversation_type != "personal":
        conversation["isGroup"] = True
    channel_data: dict[str, Any] = {"tenant": {"id": tenant_id}}
    if conversation_type == "channel":
        channel_data.update(
            {
                "teamsTeamId": "19:team@thread.tacv2",
                "teamsChannelId": "19:channel@thread.tacv2",
                "channel": {"id": "19:channel@thread.tacv2"},
                "team": {"id": "19:team@thread.tacv2"},
            }
        )
    return {
        "text": text,
        "textFormat": "plain",
        "type": "message",
        "timestamp": datetime.now(UTC).isoformat(),
        "localTimestamp": datetime.now(UTC).isoformat(),
        "id": str(int(datetime.now(UTC).timestamp() * 1000)),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:1{uuid.uuid4().hex}", "name": user_name, "aadObjectId": user_id},
        "conversation": conversation,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "entities": entities,
        "channelData": channel_data,
        "locale": locale,
    }


def cited_urls(message: dict[str, Any]) -> list[str]:
    """The URLs of the citation entities Teams would show under a bot message."""
    return [
        claim["appearance"]["url"] for entity in message.get("entities") or [] for claim in entity.get("citation") or []
    ]


def file_names(manifest: dict[str, Any]) -> dict[str, str]:
    """Seed item id → file name (what a citation URL ends with)."""
    return {
        item["id"]: str(item["path"]).rsplit("/", 1)[-1]
        for site in manifest["sites"]
        for drive in site["drives"]
        for item in drive["items"]
    }
