"""Teams as Copilot does it: the streaming sequence, the AI label and citations, feedback,
commands, the welcome, conversation memory, the two-minute stream limit and refused streams."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from answering import messages
from composition import Serving, create_app
from tests.fakes import FakeLLM
from tests.inprocess.conftest import TENANT, serving_for, settings_for
from tests.integration.activities import BOT_ID, cited_urls, teams_message
from tests.integration.capture import ConnectorCapture

pytestmark = pytest.mark.asyncio

ANSWER = ["The hotel limit ", "is 120 EUR ", "per night [1]."]


class Teams:
    def __init__(self, client: TestClient, capture: ConnectorCapture, serving: Serving, llm: FakeLLM) -> None:
        self.client, self.capture, self.serving, self.llm = client, capture, serving, llm

    def activity(
        self, text: str, conversation_type: str = "personal", locale: str = "en-US", **kw: Any
    ) -> dict[str, Any]:
        activity = teams_message(
            text=text,
            user_id="anna",
            user_name="Anna",
            tenant_id=TENANT,
            service_url=self.capture.url,
            conversation_type=conversation_type,
            locale=locale,
            **kw,
        )
        if conversation_type != "personal":
            self.capture.set_roster(activity["conversation"]["id"], [{"id": "29:a", "aadObjectId": "anna"}])
        return activity

    async def turn(self, activity: dict[str, Any], messages_expected: int = 1) -> list[dict[str, Any]]:
        response = await self.client.post("/api/messages", json=activity)
        assert response.status in (200, 202), await response.text()
        conversation = activity["conversation"]["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            sent = [a for a in self.capture.activities(conversation) if a.get("type") == "message"]
            if len(sent) >= messages_expected:
                await asyncio.sleep(0.3)  # nothing more arrives
                return self.capture.activities(conversation)
            await asyncio.sleep(0.1)
        raise TimeoutError(self.capture.activities(conversation))


@pytest.fixture
def own_capture() -> Iterator[ConnectorCapture]:
    stand_in = ConnectorCapture().start()
    yield stand_in
    stand_in.stop()


async def _teams(tmp_path: Path, capture: ConnectorCapture, llm: FakeLLM, **settings: Any) -> AsyncIterator[Teams]:
    serving = serving_for(tmp_path, llm)
    app = create_app(settings_for(tmp_path, **settings), serving)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Teams(client, capture, serving, llm)
    await serving.state.aclose()


@pytest_asyncio.fixture
async def teams(tmp_path: Path, own_capture: ConnectorCapture) -> AsyncIterator[Teams]:
    async for t in _teams(tmp_path, own_capture, FakeLLM(ANSWER)):
        yield t


def _stream_info(activity: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in activity.get("entities") or [] if e.get("type") == "streaminfo"), None)


def _ai_entity(activity: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in activity.get("entities") or [] if e.get("type") == "https://schema.org/Message")


async def test_personal_chat_streams_by_the_teams_protocol(teams: Teams) -> None:
    sent = await teams.turn(teams.activity("Wie hoch ist das Hotel limit per night?", locale="de-DE"))
    infos = [(a["type"], _stream_info(a)) for a in sent if _stream_info(a)]
    first_type, first = infos[0]
    assert first_type == "typing" and first["streamType"] == "informative"
    assert sent[0]["text"] == messages.text("informative", "de")
    updates = [info for kind, info in infos if kind == "typing" and info["streamType"] == "streaming"]
    assert [u["streamSequence"] for u in updates] == sorted(u["streamSequence"] for u in updates)
    final = [a for a in sent if a["type"] == "message"]
    assert len(final) == 1
    info = _stream_info(final[0])
    assert info is not None and info["streamType"] == "final" and "streamSequence" not in info
    assert "120 EUR" in final[0]["text"]
    entity = _ai_entity(final[0])
    assert entity["additionalType"] == ["AIGeneratedContent"]
    assert cited_urls(final[0]) == ["https://contoso.sharepoint.com/doc1"]
    assert final[0]["channelData"]["feedbackLoop"] == {"type": "default"}
    assert "feedbackLoopEnabled" not in final[0]["channelData"]


async def test_room_answers_carry_the_ai_label_citations_and_feedback(teams: Teams) -> None:
    sent = await teams.turn(teams.activity("What is the hotel limit per night?", "groupChat", mention_bot=True))
    (room,) = [a for a in sent if a["type"] == "message"]
    entity = _ai_entity(room)
    assert entity["additionalType"] == ["AIGeneratedContent"]
    claims = entity["citation"]
    assert [c["position"] for c in claims] == [1] and "[1]" in room["text"]
    assert len(claims[0]["appearance"]["name"]) <= 80 and len(claims[0]["appearance"]["abstract"]) <= 160
    assert claims[0]["appearance"]["image"]["name"] == "Microsoft Word"
    assert room["channelData"]["feedbackLoop"] == {"type": "default"}


async def _invoke(teams: Teams, activity: dict[str, Any], value: Any, reply_to: str | None) -> Any:
    invoke = {**activity, "type": "invoke", "name": "message/submitAction", "value": value, "id": "inv-1"}
    invoke.pop("text", None)
    if reply_to is not None:
        invoke["replyToId"] = reply_to
    return await teams.client.post("/api/messages", json=invoke)


async def test_feedback_on_a_streamed_answer_is_stored_with_the_answer(teams: Teams) -> None:
    activity = teams.activity("What is the hotel limit per night?")
    sent = await teams.turn(activity)
    final = next(a for a in sent if a["type"] == "message")
    stream_id = _stream_info(final)["streamId"]  # Teams rates a streamed answer by its stream id
    value = {
        "actionName": "feedback",
        "actionValue": {"reaction": "dislike", "feedback": '{"feedbackText": "zu kurz"}'},
    }
    response = await _invoke(teams, activity, value, stream_id)
    assert response.status == 200 and await response.read() == b""
    (rating,) = await teams.serving.state.feedback.list()
    assert rating.reaction == "dislike" and rating.comment == "zu kurz" and rating.surface == "teams"
    assert rating.cited == ("drive1/item1",) and rating.asker == teams.serving.assistant.pseudonym("anna")


@pytest.mark.parametrize(
    ("value", "reply_to"),
    [
        (None, "x"),
        ("garbage", "x"),
        ({"actionName": "feedback", "actionValue": {"reaction": "love"}}, "x"),
        ({"actionName": "feedback", "actionValue": {"reaction": "like"}}, "no-such-message"),
        ({"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": "{not json"}}, None),
    ],
)
async def test_bad_or_unknown_feedback_is_answered_200_and_stores_nothing(
    teams: Teams, value: Any, reply_to: str | None
) -> None:
    response = await _invoke(teams, teams.activity("x"), value, reply_to)
    assert response.status == 200 and await response.read() == b""
    assert await teams.serving.state.feedback.list() == []


async def test_unknown_invoke_is_answered_200(teams: Teams) -> None:
    invoke = {**teams.activity("x"), "type": "invoke", "name": "composeExtension/query", "value": {}}
    assert (await teams.client.post("/api/messages", json=invoke)).status == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hilfe", messages.help_text("de")),
        ("help", messages.help_text("en")),
        ("reset bitte", messages.text("reset_done", "en")),
        ("neu", messages.text("reset_done", "de")),
        ("quellen", messages.text("sources_none", "de")),
    ],
)
async def test_commands_never_reach_the_model(teams: Teams, text: str, expected: str) -> None:
    sent = await teams.turn(teams.activity(text))
    (reply,) = [a for a in sent if a["type"] == "message"]
    assert reply["text"] == expected
    assert teams.llm.calls == []


async def test_sources_lists_the_last_answers_documents_and_reset_forgets_them(teams: Teams) -> None:
    activity = teams.activity("What is the hotel limit per night?", "groupChat")
    await teams.turn(activity)
    sources = dict(activity, text="sources", id="2")
    sent = await teams.turn(sources, messages_expected=2)
    reply = [a for a in sent if a["type"] == "message"][-1]
    assert "[Travel Policy](https://contoso.sharepoint.com/doc1)" in reply["text"]
    await teams.turn(dict(activity, text="reset", id="3"), messages_expected=3)
    sent = await teams.turn(dict(activity, text="sources", id="4"), messages_expected=4)
    assert [a for a in sent if a["type"] == "message"][-1]["text"] == messages.text("sources_none", "en")


async def test_welcome_when_installed_in_a_personal_chat(teams: Teams) -> None:
    update = teams.activity("")
    update.update({"type": "conversationUpdate", "membersAdded": [{"id": BOT_ID}], "id": "w1"})
    update.pop("text")
    response = await teams.client.post("/api/messages", json=update)
    assert response.status in (200, 202)
    await asyncio.sleep(0.5)
    (welcome,) = [a for a in teams.capture.activities(update["conversation"]["id"]) if a["type"] == "message"]
    assert welcome["text"] == messages.text("welcome", "en")


async def test_a_stream_is_closed_in_time_and_the_answer_follows_whole(
    tmp_path: Path, own_capture: ConnectorCapture
) -> None:
    async for teams in _teams(tmp_path, own_capture, FakeLLM(ANSWER, delay_s=0.8), teams_stream_max_s=1.0):
        sent = await teams.turn(teams.activity("What is the hotel limit per night?"), messages_expected=2)
        closed, whole = [a for a in sent if a["type"] == "message"]
        assert _stream_info(closed)["streamType"] == "final"
        assert messages.text("stream_continued", "en") in closed["text"]
        assert _stream_info(whole) is None and "120 EUR per night" in whole["text"]
        assert cited_urls(whole) == ["https://contoso.sharepoint.com/doc1"]
        assert whole["channelData"]["feedbackLoop"] == {"type": "default"}


@pytest.mark.parametrize("status", [403, 429])
async def test_a_refused_stream_falls_back_to_one_plain_message(
    tmp_path: Path, own_capture: ConnectorCapture, status: int
) -> None:
    own_capture.refuse_streaming = status
    async for teams in _teams(tmp_path, own_capture, FakeLLM(ANSWER)):
        sent = await teams.turn(teams.activity("What is the hotel limit per night?"))
        delivered = [a for a in sent if a["type"] == "message" and "_refused" not in a]
        assert len(delivered) == 1 and "120 EUR per night" in delivered[0]["text"]
        assert _stream_info(delivered[0]) is None
        assert cited_urls(delivered[0]) == ["https://contoso.sharepoint.com/doc1"]


async def test_a_follow_up_that_names_nothing_is_answered_from_the_conversation(teams: Teams) -> None:
    first = teams.activity("How many vacation days carry over?", "groupChat")
    sent = await teams.turn(first)
    assert cited_urls([a for a in sent if a["type"] == "message"][0]) == ["https://contoso.sharepoint.com/doc2"]
    follow_up = dict(first, text="And until when?", id="f2")
    sent = await teams.turn(follow_up, messages_expected=2)
    answer = [a for a in sent if a["type"] == "message"][-1]
    assert cited_urls(answer) == ["https://contoso.sharepoint.com/doc2"], "retrieved with the previous question"
    assert "vacation" in teams.llm.calls[-1][-1]["content"].lower()


async def test_a_rooms_history_holds_only_what_the_room_was_shown(teams: Teams) -> None:
    activity = teams.activity("salary bands hotel perks", "groupChat")
    activity["from"]["aadObjectId"] = "hanna"  # may read the HR document; Anna, also in the room, may not
    teams.capture.set_roster(
        activity["conversation"]["id"], [{"id": "29:a", "aadObjectId": "anna"}, {"id": "29:h", "aadObjectId": "hanna"}]
    )
    await teams.turn(activity)
    (private,) = teams.capture.followups_to("hanna")  # the fuller answer went 1:1
    assert private["channelData"]["feedbackLoop"] == {"type": "default"}
    rate_private = dict(activity, conversation={**activity["conversation"], "id": private["conversation"]["id"]})
    value = {"actionName": "feedback", "actionValue": {"reaction": "like"}}
    assert (await _invoke(teams, rate_private, value, private["_returned_id"])).status == 200
    (rating,) = await teams.serving.state.feedback.list()
    assert "drive3/item3" in rating.cited, "the rating is of the private answer, which cited the HR document"
    history = await teams.serving.state.conversations.history(f"groupChat:{activity['conversation']['id']}")
    assert [t.role for t in history] == ["user", "assistant"]
    assert all("Salary Bands" not in ref for ref in history[1].cited)
    assert messages.text("room_narrower", "en") in history[1].text
