"""Bad input gets a clear 4xx; an LLM or Graph outage gets a polite answer, fail closed."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.integration.conftest import Running, TeamsChannel, admin


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"{}",
        b'"a string"',
        json.dumps({"type": "message", "text": "hi", "conversation": {"id": "c1"}, "from": {"id": "u"}}).encode(),
        json.dumps(
            {"type": "message", "text": "hi", "serviceUrl": "http://127.0.0.1:9/", "from": {"id": "u"}}
        ).encode(),
        json.dumps({"type": "message", "serviceUrl": "http://127.0.0.1:9/", "conversation": {"id": "c"}}).encode(),
        json.dumps(
            {
                "type": "message",
                "text": ["x"],
                "serviceUrl": "http://127.0.0.1:9/",
                "conversation": {"id": "c"},
                "from": {"id": "u"},
            }
        ).encode(),
        ("[" * 5000 + "]" * 5000).encode(),
    ],
)
def test_messages_rejects_what_is_not_an_activity(running: Running, body: bytes) -> None:
    response = requests.post(
        f"{running.app_url}/api/messages", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400, response.text
    assert "error" in response.json()


def test_messages_rejects_oversized_activity(running: Running) -> None:
    body = json.dumps(
        {
            "type": "message",
            "text": "x" * 2_000_000,
            "serviceUrl": "http://127.0.0.1:9/",
            "conversation": {"id": "c"},
            "from": {"id": "u"},
        }
    )
    response = requests.post(
        f"{running.app_url}/api/messages", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"nope", 400),
        (b"[]", 400),
        (json.dumps({"user": "anna.schmidt@contoso.dev"}).encode(), 400),
        (json.dumps({"question": 42, "user": "anna.schmidt@contoso.dev"}).encode(), 400),
        (json.dumps({"question": "hi"}).encode(), 400),
        (json.dumps({"question": "x" * 5000, "user": "anna.schmidt@contoso.dev"}).encode(), 413),
        (b"{" + b" " * 70000 + b"}", 413),
    ],
)
def test_ask_rejects_bad_bodies(running: Running, body: bytes, status: int) -> None:
    response = requests.post(
        f"{running.app_url}/api/ask", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == status, response.text


def test_ask_streams_server_sent_events(running: Running) -> None:
    deltas, final = running.ask_stream("dana.mueller@contoso.dev", "Wie viele Urlaubstage habe ich pro Jahr?")
    assert "".join(deltas).strip() == final["answer"].strip()
    assert any(c["url"].endswith("Urlaubsregelung.docx") for c in final["citations"])


def test_unknown_user_gets_no_documents(running: Running) -> None:
    answer = running.ask("nobody@contoso.dev", "Wie hoch ist die Hotelobergrenze?")
    assert answer["outcome"] == "unknown_user"
    assert answer["citations"] == []


def test_question_with_nothing_permitted_says_so(running: Running) -> None:
    answer = running.ask("dana.mueller@contoso.dev", "Quantenchromodynamik Gluonen Feldstärke Renormierung")
    assert answer["outcome"] == "no_match"
    assert answer["citations"] == []


def test_llm_down_gives_polite_message_in_time(degraded: str, running: Running) -> None:
    started = time.monotonic()
    response = requests.post(
        f"{degraded}/api/ask",
        json={"question": "What is the minimum password length?", "user": "ben.carter@contoso.dev"},
        timeout=60,
    )
    elapsed = time.monotonic() - started
    answer = response.json()
    assert response.status_code == 200
    assert answer["outcome"] == "llm_down"
    assert "not available" in answer["answer"]
    assert elapsed < 30


def test_llm_down_in_teams_gets_polite_message(degraded: str, teams: TeamsChannel) -> None:
    activity = teams.activity(
        "clara.weber@contoso.dev", "Wie viele Urlaubstage gibt es?", conversation_type="groupChat", mention_bot=True
    )
    message = teams.turn(activity, app_url=degraded, timeout=60)
    assert "nicht erreichbar" in message["text"]


def test_graph_down_fails_closed(degraded: str, running: Running) -> None:
    admin(running, "POST", "down")
    try:
        response = requests.post(
            f"{degraded}/api/ask",
            json={"question": "Wie hoch ist die Hotelobergrenze?", "user": "anna.schmidt@contoso.dev"},
            timeout=90,
        )
    finally:
        admin(running, "POST", "up")
    answer = response.json()
    assert answer["outcome"] == "directory_down"
    assert answer["citations"] == []
