"""Group chats and channels: the room answer uses only what every member may read; the asker gets
the fuller answer in a private 1:1 chat that the bot opens (a proactive message)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.activities import cited_urls, file_names
from tests.integration.conftest import TeamsChannel

NORDLICHT = "What is the code word for Project Nordlicht and who keeps the insider list?"
FINANZEN_SECRET = "AURORA-FALKE-2291"


def secret_item(secrets: list[dict[str, Any]], phrase: str) -> str:
    return next(s["item"] for s in secrets if s["phrase"] == phrase)


def test_group_chat_answer_draws_only_on_what_everyone_may_read(
    teams: TeamsChannel, users: dict[str, Any], manifest: dict[str, Any], secrets: list[dict[str, Any]]
) -> None:
    secret_file = file_names(manifest)[secret_item(secrets, FINANZEN_SECRET)]
    anna = users["anna.schmidt@contoso.dev"]["id"]
    before = len(teams.capture.followups_to(anna))
    activity = teams.activity(
        "anna.schmidt@contoso.dev",
        NORDLICHT,
        conversation_type="groupChat",
        mention_bot=True,
        members=["ben.carter@contoso.dev", "dana.mueller@contoso.dev"],
        locale="en-US",
    )
    room_message = teams.turn(activity)
    assert FINANZEN_SECRET not in room_message["text"]
    assert not any(url.endswith(secret_file) for url in cited_urls(room_message)), cited_urls(room_message)
    assert "not open to everyone" in room_message["text"]
    assert "sent you the full answer privately" in room_message["text"]

    followups = teams.capture.followups_to(anna)
    assert len(followups) == before + 1, "exactly one private follow-up"
    private = followups[-1]
    assert any(url.endswith(secret_file) for url in cited_urls(private)), (
        "the asker's own answer cites the secret document"
    )
    created = teams.capture.created[-1]
    assert created["isGroup"] is False and created["tenantId"] == teams.tenant_id
    assert [m["aadObjectId"] for m in created["members"]] == [anna]


def test_room_where_everyone_may_read_gets_the_full_answer_and_no_followup(
    teams: TeamsChannel, users: dict[str, Any]
) -> None:
    clara = users["clara.weber@contoso.dev"]["id"]
    before = len(teams.capture.followups_to(clara))
    activity = teams.activity(
        "clara.weber@contoso.dev",
        "Bis wann kann Resturlaub ins nächste Jahr übertragen werden?",
        conversation_type="channel",
        mention_bot=True,
        members=["anna.schmidt@contoso.dev", "ben.carter@contoso.dev", "dana.mueller@contoso.dev"],
    )
    message = teams.turn(activity)
    assert any(url.endswith("Urlaubsregelung.docx") for url in cited_urls(message))
    assert "privat" not in message["text"]
    assert len(teams.capture.followups_to(clara)) == before


@pytest.mark.parametrize("case", ["foreign member", "roster unavailable"])
def test_room_with_unknown_readers_uses_no_documents(
    teams: TeamsChannel, users: dict[str, Any], manifest: dict[str, Any], secrets: list[dict[str, Any]], case: str
) -> None:
    secret_file = file_names(manifest)[secret_item(secrets, FINANZEN_SECRET)]
    stranger = {"id": "29:1stranger", "aadObjectId": "0b9d4c55-0000-4000-8000-00000000beef", "name": "Guest"}
    activity = teams.activity(
        "anna.schmidt@contoso.dev",
        NORDLICHT,
        conversation_type="groupChat",
        mention_bot=True,
        members=[stranger],
        locale="en-US",
    )
    if case == "roster unavailable":
        teams.capture.set_roster("19:nonexistent@thread.v2", [])  # a different room; this one has none
        activity["conversation"]["id"] = f"19:unknown{activity['id']}@thread.v2"
    message = teams.turn(activity)
    assert "could not find out who can read this chat" in message["text"]
    assert not cited_urls(message) and FINANZEN_SECRET not in message["text"]
    private = teams.capture.followups_to(users["anna.schmidt@contoso.dev"]["id"])[-1]
    assert any(url.endswith(secret_file) for url in cited_urls(private))


def test_failed_private_followup_is_admitted_in_the_room_without_leaking(teams: TeamsChannel) -> None:
    activity = teams.activity(
        "anna.schmidt@contoso.dev",
        NORDLICHT,
        conversation_type="groupChat",
        mention_bot=True,
        members=["clara.weber@contoso.dev"],
        locale="en-US",
    )
    teams.capture.fail_create = True
    try:
        message = teams.turn(activity)
    finally:
        teams.capture.fail_create = False
    assert "could not send you the full answer privately" in message["text"]
    assert FINANZEN_SECRET not in message["text"]


def test_roster_is_cached_per_conversation(teams: TeamsChannel) -> None:
    first = teams.activity(
        "ben.carter@contoso.dev",
        "How do I reset my password?",
        conversation_type="groupChat",
        mention_bot=True,
        members=["dana.mueller@contoso.dev"],
        locale="en-US",
    )
    teams.turn(first)
    reads = teams.capture.roster_reads
    second = teams.activity(
        "ben.carter@contoso.dev", "Where is the canteen?", conversation_type="groupChat", locale="en-US"
    )
    second["conversation"]["id"] = first["conversation"]["id"]
    teams.capture._activities.pop(first["conversation"]["id"], None)
    teams.turn(second)
    assert teams.capture.roster_reads == reads, "second turn in the same room reads the roster from the cache"
