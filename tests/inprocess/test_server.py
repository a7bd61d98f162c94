"""The HTTP surface in-process: /api/ask (JSON and SSE), /api/messages through the Agents SDK and
``TeamsBot``, health, readiness, metrics and the dev page's user list."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from answering import messages
from composition import create_app
from tests.fakes import FakeLLM
from tests.inprocess.conftest import TENANT, Stack, serving_for, settings_for
from tests.integration.activities import cited_urls, teams_message

pytestmark = pytest.mark.asyncio

# --- /api/ask -----------------------------------------------------------------------------------


async def test_ask_answers_with_citations_and_audits(stack: Stack) -> None:
    response = await stack.client.post(
        "/api/ask", json={"question": "What is the hotel limit per night?", "user": "anna"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["outcome"] == "answered" and "120 EUR" in body["answer"]
    assert [c["item_id"] for c in body["citations"]] == ["item1"]
    assert body["citations"][0]["url"] == "https://contoso.sharepoint.com/doc1"
    records = [json.loads(line) for f in (stack.data / "audit").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert [r["outcome"] for r in records] == ["answered"]


async def test_ask_streams_deltas_then_the_answer(stack: Stack) -> None:
    response = await stack.client.post(
        "/api/ask",
        json={"question": "hotel limit per night", "user": "anna", "conversation_id": "web-1"},
        headers={"Accept": "text/event-stream"},
    )
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    events = [block for block in (await response.text()).split("\n\n") if block]
    kinds = [block.split("\n", 1)[0].removeprefix("event: ") for block in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"}
    deltas = "".join(json.loads(block.split("data: ", 1)[1])["text"] for block in events[:-1])
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert deltas.strip() == final["answer"] and final["conversation_id"] == "web-1"


async def test_ask_is_trimmed_to_the_askers_permissions(stack: Stack) -> None:
    question = {"question": "salary bands hotel perks"}
    hr = await (await stack.client.post("/api/ask", json={**question, "user": "hanna"})).json()
    sales = await (await stack.client.post("/api/ask", json={**question, "user": "dana"})).json()
    assert "item3" in [c["item_id"] for c in hr["citations"]]
    assert "item3" not in [c["item_id"] for c in sales["citations"]]
    assert all("Secret salary" not in m["content"] for call in stack.llm.calls[1:] for m in call)


async def test_ask_unknown_user_is_answered_politely(stack: Stack) -> None:
    body = await (await stack.client.post("/api/ask", json={"question": "hotel", "user": "nobody"})).json()
    assert body["outcome"] == "unknown_user" and body["citations"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"nope", 400),
        (b"[]", 400),
        (b"\xff\xfe", 400),
        (json.dumps({"user": "anna"}).encode(), 400),
        (json.dumps({"question": 42, "user": "anna"}).encode(), 400),
        (json.dumps({"question": "   ", "user": "anna"}).encode(), 400),
        (json.dumps({"question": "hi"}).encode(), 400),
        (json.dumps({"question": "hi", "user": "anna", "conversation_id": "x" * 201}).encode(), 400),
        (json.dumps({"question": "x" * 5000, "user": "anna"}).encode(), 413),
        (b"{" + b" " * 70000 + b"}", 413),
    ],
)
async def test_ask_rejects_bad_bodies(stack: Stack, body: bytes, status: int) -> None:
    response = await stack.client.post("/api/ask", data=body, headers={"Content-Type": "application/json"})
    assert response.status == status
    assert "error" in await response.json()
    assert stack.llm.calls == []


async def test_ask_with_a_token_in_dev_mode_without_validator_is_401(stack: Stack) -> None:
    response = await stack.client.post(
        "/api/ask", json={"question": "hotel"}, headers={"Authorization": "Bearer abc.def.ghi"}
    )
    assert response.status == 401


# --- health, readiness, metrics, dev page -----------------------------------------------------------


async def test_health_readiness_metrics_and_demo_users(stack: Stack) -> None:
    assert (await stack.client.get("/healthz")).status == 200
    ready = await stack.client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["chunks"] == 3
    await stack.client.post("/api/ask", json={"question": "hotel limit", "user": "anna"})
    metrics = await (await stack.client.get("/metrics")).text()
    assert 'assistant_answers_total{outcome="answered",room="web"} 1.0' in metrics
    assert "assistant_index_chunks" in metrics
    users = await (await stack.client.get("/api/demo-users")).json()
    assert {u["id"] for u in users} == {"anna", "hanna", "dana"}


async def test_not_ready_without_an_index(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path), serving_for(tmp_path, FakeLLM(), with_index=False))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["ready"] is False
        answer = await (await client.post("/api/ask", json={"question": "hotel", "user": "anna"})).json()
        assert answer["outcome"] == "no_index"


async def test_without_dev_mode_there_is_no_dev_page(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, dev_mode=False), serving_for(tmp_path, FakeLLM()))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        assert (await client.get("/")).status == 404
        assert (await client.get("/api/demo-users")).status == 404
        refused = await client.post("/api/ask", json={"question": "hotel", "user": "anna"})
        assert refused.status == 400, "no demo-user selection outside dev mode"


# --- /api/messages ----------------------------------------------------------------------------------


def _activity(stack: Stack, text: str, user: str = "anna", **kwargs: Any) -> dict[str, Any]:
    return teams_message(
        text=text, user_id=user, user_name=user.title(), tenant_id=TENANT, service_url=stack.capture.url, **kwargs
    )


async def _message(stack: Stack, conversation: str) -> dict[str, Any]:
    return await asyncio.to_thread(stack.capture.wait_for_message, conversation, 20.0)


async def test_personal_chat_answer_is_streamed_with_citations(stack: Stack) -> None:
    activity = _activity(stack, "What is the hotel limit per night?", locale="en-US")
    response = await stack.client.post("/api/messages", json=activity)
    assert response.status in (200, 202)
    final = await _message(stack, activity["conversation"]["id"])
    assert "120 EUR" in final["text"]
    assert cited_urls(final) == ["https://contoso.sharepoint.com/doc1"]
    stream_info = [e for e in final.get("entities") or [] if e.get("type") == "streaminfo"]
    assert stream_info and stream_info[0]["streamType"] == "final"


async def test_group_chat_answer_uses_only_what_every_member_may_read(stack: Stack) -> None:
    activity = _activity(
        stack, "salary bands hotel perks", user="hanna", conversation_type="groupChat", mention_bot=True
    )
    conversation = activity["conversation"]["id"]
    stack.capture.set_roster(
        conversation, [{"id": "29:a", "aadObjectId": "anna", "name": "Anna"}, {"id": "29:h", "aadObjectId": "hanna"}]
    )
    assert (await stack.client.post("/api/messages", json=activity)).status in (200, 202)
    room = await _message(stack, conversation)
    assert "https://contoso.sharepoint.com/doc3" not in cited_urls(room)
    assert "Secret salary" not in room["text"]
    private = await asyncio.to_thread(stack.capture.followups_to, "hanna")
    assert private and "https://contoso.sharepoint.com/doc3" in cited_urls(private[-1])


async def test_message_without_an_entra_user_is_told_so(stack: Stack) -> None:
    activity = _activity(stack, "hotel limit", locale="en-US")
    del activity["from"]["aadObjectId"]
    assert (await stack.client.post("/api/messages", json=activity)).status in (200, 202)
    reply = await _message(stack, activity["conversation"]["id"])
    assert reply["text"] == messages.text("unknown_user", "en")
    assert stack.llm.calls == []


async def test_messages_gate_and_body_checks(stack: Stack) -> None:
    other_tenant = _activity(stack, "hotel")
    other_tenant["conversation"]["tenantId"] = "another-tenant"
    other_tenant["channelData"]["tenant"]["id"] = "another-tenant"
    foreign = _activity(stack, "hotel")
    foreign["serviceUrl"] = "https://attacker.example.com/"
    assert (await stack.client.post("/api/messages", json=other_tenant)).status == 403
    assert (await stack.client.post("/api/messages", json=foreign)).status == 403
    for body in (b"{}", b"[]", b"{not json", b"\xff"):
        response = await stack.client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 400
    assert stack.llm.calls == []
