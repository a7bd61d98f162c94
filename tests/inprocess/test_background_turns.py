"""A message is acknowledged at once and answered in the background, exactly once per activity,
and a stopping server lets running turns finish."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.turns import BackgroundTurns
from composition import create_app
from connectors.llm import LLMConfig, OpenAICompatibleModel
from tests.fakes import FakeLLM
from tests.inprocess.conftest import TENANT, serving_for, settings_for
from tests.integration.activities import teams_message
from tests.integration.capture import ConnectorCapture
from tests.llm_standin import LLMStandIn

pytestmark = pytest.mark.asyncio

SLOW = ["The hotel limit ", "is 120 EUR ", "per night [1]."]


def _activity(capture: ConnectorCapture, conversation_type: str = "personal") -> dict[str, object]:
    return teams_message(
        text="What is the hotel limit per night?",
        user_id="anna",
        user_name="Anna",
        tenant_id=TENANT,
        service_url=capture.url,
        conversation_type=conversation_type,
        locale="en-US",
    )


async def _messages(capture: ConnectorCapture, conversation: str, wait_s: float) -> list[dict[str, object]]:
    await asyncio.sleep(wait_s)
    return [a for a in capture.activities(conversation) if a.get("type") == "message"]


async def test_slow_answer_is_acknowledged_at_once_and_redelivery_is_answered_once(
    tmp_path: Path, capture: ConnectorCapture
) -> None:
    llm = FakeLLM(SLOW, delay_s=1.0)  # a 3-second generation
    serving = serving_for(tmp_path, llm)
    async with TestClient(TestServer(create_app(settings_for(tmp_path), serving), host="127.0.0.1")) as client:
        activity = _activity(capture, "groupChat")
        conversation = str(activity["conversation"]["id"])  # type: ignore[index]
        capture.set_roster(conversation, [{"id": "29:a", "aadObjectId": "anna"}])
        started = time.perf_counter()
        first = await client.post("/api/messages", json=activity)
        acknowledged_s = time.perf_counter() - started
        again = await client.post("/api/messages", json=activity)  # Teams redelivers while we answer
        assert first.status == 202 and again.status == 200
        assert acknowledged_s < 2.0, f"acknowledged after {acknowledged_s:.2f} s, the answer takes 3 s"
        assert await _messages(capture, conversation, 0.2) == [], "the answer is still being generated"
        deadline = time.monotonic() + 15
        while not await _messages(capture, conversation, 0.2) and time.monotonic() < deadline:
            pass
        later = await client.post("/api/messages", json=activity)  # and after it was answered
        assert later.status == 200
        answered = await _messages(capture, conversation, 0.5)
        assert len(answered) == 1 and "120 EUR" in str(answered[0]["text"])
        assert len(llm.calls) == 1
    await serving.state.aclose()


async def test_shutdown_waits_for_running_turns(tmp_path: Path, capture: ConnectorCapture) -> None:
    llm = FakeLLM(SLOW, delay_s=0.7)
    serving = serving_for(tmp_path, llm)
    client = TestClient(TestServer(create_app(settings_for(tmp_path, shutdown_grace_s=30), serving), host="127.0.0.1"))
    await client.start_server()
    activity = _activity(capture, "groupChat")
    conversation = str(activity["conversation"]["id"])  # type: ignore[index]
    capture.set_roster(conversation, [{"id": "29:a", "aadObjectId": "anna"}])
    assert (await client.post("/api/messages", json=activity)).status == 202
    await client.close()  # stops the server while the turn is generating
    answered = await _messages(capture, conversation, 0.3)
    assert len(answered) == 1 and "120 EUR" in str(answered[0]["text"])
    await serving.state.aclose()


async def test_turns_past_the_grace_period_are_cancelled_and_counted() -> None:
    turns = BackgroundTurns(grace_s=0.2)
    finished: list[str] = []

    async def turn(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    turns.start(turn("quick", 0.05), "quick")
    turns.start(turn("stuck", 60), "stuck")
    assert turns.running == 2
    assert await turns.drain() == 1
    assert finished == ["quick"] and turns.running == 0 and not turns.accepting


async def test_a_stopping_server_refuses_new_messages_so_they_are_redelivered(
    tmp_path: Path, capture: ConnectorCapture
) -> None:
    serving = serving_for(tmp_path, FakeLLM(SLOW, delay_s=0.8))
    app = create_app(settings_for(tmp_path, shutdown_grace_s=10), serving)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        first = _activity(capture, "groupChat")
        capture.set_roster(str(first["conversation"]["id"]), [{"id": "29:a", "aadObjectId": "anna"}])  # type: ignore[index]
        assert (await client.post("/api/messages", json=first)).status == 202
        closing = asyncio.create_task(app.cleanup())  # as aiohttp does on SIGTERM
        await asyncio.sleep(0.1)
        refused = await client.post("/api/messages", json=_activity(capture, "groupChat"))
        assert refused.status == 503
        await closing
    await serving.state.aclose()


async def test_a_slow_llm_server_is_acknowledged_at_once_and_its_answer_arrives_whole(
    tmp_path: Path, capture: ConnectorCapture
) -> None:
    words = [f"word{i} " for i in range(12)] + ["per night [1]."]
    standin = LLMStandIn(words, delay_s=0.25)  # about 3 s of generation, streamed over HTTP
    async with TestServer(standin.app(), host="127.0.0.1") as llm_server:
        llm = OpenAICompatibleModel(LLMConfig(str(llm_server.make_url("")).rstrip("/"), "-", "standin", 30.0, 200, 0.0))
        serving = serving_for(tmp_path, llm)
        async with TestClient(TestServer(create_app(settings_for(tmp_path), serving), host="127.0.0.1")) as client:
            activity = _activity(capture)
            started = time.perf_counter()
            response = await client.post("/api/messages", json=activity)
            acknowledged_s = time.perf_counter() - started
            assert response.status == 202 and acknowledged_s < 2.0
            conversation = str(activity["conversation"]["id"])  # type: ignore[index]
            deadline = time.monotonic() + 30
            while not (answered := await _messages(capture, conversation, 0.2)) and time.monotonic() < deadline:
                pass
            assert len(answered) == 1 and "word0 " in str(answered[0]["text"]) and "word11" in str(answered[0]["text"])
            assert time.perf_counter() - started > 3.0, "the answer took as long as the model"
        await llm.close()
        await serving.state.aclose()
    assert len(standin.calls) == 1 and standin.calls[0]["stream"] is True
