"""bot/teams.py translation of activities: mention removal by entity, room kind, tenant."""

from __future__ import annotations

from microsoft_agents.activity import Activity

from bot.teams import question_of, room_of
from bot.validation import tenant_of

BOT = {"id": "28:bot", "name": "Assistant"}


def _activity(text: str, entities: list[dict[str, object]], conversation_type: str = "channel") -> Activity:
    return Activity.model_validate(
        {
            "type": "message",
            "text": text,
            "recipient": BOT,
            "from": {"id": "29:user", "aadObjectId": "oid"},
            "conversation": {"id": "c1", "conversationType": conversation_type, "tenantId": "tid"},
            "entities": entities,
        }
    )


def test_the_mention_entity_text_is_removed_but_the_bot_name_in_the_question_stays() -> None:
    mention = {"type": "mention", "text": "<at>Assistant</at>", "mentioned": BOT}
    activity = _activity("<at>Assistant</at> Assistant: wie viele Urlaubstage gibt es?", [mention])
    assert question_of(activity) == "Assistant: wie viele Urlaubstage gibt es?"


def test_a_mention_of_someone_else_is_kept() -> None:
    other = {"type": "mention", "text": "<at>Anna</at>", "mentioned": {"id": "29:anna", "name": "Anna"}}
    activity = _activity("<at>Anna</at> fragt nach Urlaub", [other])
    assert question_of(activity) == "<at>Anna</at> fragt nach Urlaub"


def test_room_kind_and_tenant() -> None:
    assert room_of(_activity("x", [], "groupChat")).kind == "groupChat"
    assert room_of(_activity("x", [], "channel")).kind == "channel"
    assert room_of(_activity("x", [], "personal")).kind == "personal"
    assert tenant_of(_activity("x", [])) == "tid"
