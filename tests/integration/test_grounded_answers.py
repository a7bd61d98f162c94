"""Grounded answers end to end: the embedded model through /api/ask and Teams, and a local LLM
stand-in that answers with a planted invented number, which must never reach the user (not in the
streamed text, not in the final message, not in the SSE ``answer`` event)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from devstack.processes import free_port, start_app
from tests.integration.activities import cited_urls
from tests.integration.conftest import Running, TeamsChannel
from tests.integration.loopback import LoopbackApp
from tests.llm_standin import LLMStandIn

PLANTED = "45"
"""The stand-in's invented vacation entitlement (the Urlaubsregelung says 30 Arbeitstage)."""
QUESTION = "Wie viele Urlaubstage habe ich?"


class StandInServer(LoopbackApp):
    """The LLM stand-in on 127.0.0.1 in a thread of the test process."""

    def __init__(self, standin: LLMStandIn) -> None:
        super().__init__()
        self.standin = standin

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        return self.standin.app()


@pytest.fixture(scope="module")
def inventing(running: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, LLMStandIn]]:
    """An app on the same index whose model answers every question with the planted number."""
    standin = LLMStandIn(
        ["Laut der Urlaubsregelung ", f"stehen Ihnen {PLANTED} ", "Arbeitstage Urlaub zu [1]. ", "Viel Spaß!"],
        delay_s=0.05,
    )
    server = StandInServer(standin).start()
    env = {**running.env, "TGI_URL": server.url, "LLM_MODEL": "standin", "AUDIT_LEVEL": "full"}
    child, url = start_app(env, tmp_path_factory.mktemp("inventing"), free_port(), name="inventing-app")
    try:
        yield url, standin
    finally:
        child.stop()
        server.stop()


def _sse(url: str, user: str, question: str) -> tuple[str, dict[str, Any]]:
    response = requests.post(
        f"{url}/api/ask",
        json={"question": question, "user": user},
        headers={"Accept": "text/event-stream"},
        timeout=120,
    )
    response.raise_for_status()
    streamed, final = "", None
    for block in response.content.decode("utf-8").split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            data = json.loads(fields["data"])
            if fields["event"] == "delta":
                streamed += data["text"]
            else:
                final = data
    assert final is not None
    return streamed, final


def test_planted_number_never_reaches_the_user_of_api_ask(inventing: tuple[str, LLMStandIn], running: Running) -> None:
    url, standin = inventing
    calls = len(standin.calls)
    streamed, final = _sse(url, "anna.schmidt@contoso.dev", QUESTION)
    assert len(standin.calls) == calls + 1, "the stand-in was asked"
    assert PLANTED not in streamed and PLANTED not in final["answer"]
    assert streamed.strip() == final["answer"], "what was streamed is the checked text"
    assert "30 Arbeitstage" in final["answer"], final["answer"]
    assert final["outcome"] == "answered" and final["model"] == ""  # quoted, not generated
    assert [c["file_name"] for c in final["citations"]] == ["Urlaubsregelung.docx"]
    plain = requests.post(
        f"{url}/api/ask",
        json={
            "question": "Wie viele Urlaubstage habe ich bei einer Fünf-Tage-Woche?",
            "user": "dana.mueller@contoso.dev",
        },
        timeout=120,
    ).json()
    assert PLANTED not in plain["answer"] and "30" in plain["answer"]

    # why, in the audit trail and the metrics (the number itself is in neither)
    audit = Path(running.env["DATA_DIR"]) / "audit"
    records = [json.loads(line) for p in sorted(audit.glob("audit-*.jsonl")) for line in p.read_text().splitlines()]
    mine = [r for r in records if r.get("answer_id") == final["answer_id"]]
    assert mine and mine[0]["grounding"] == "ungrounded:extractive"
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    assert 'assistant_answer_checks_total{extractive="true",result="ungrounded"}' in metrics


def test_planted_number_never_reaches_teams(inventing: tuple[str, LLMStandIn], teams: TeamsChannel) -> None:
    url, _ = inventing
    activity = teams.activity("anna.schmidt@contoso.dev", QUESTION)  # 1:1: streamed
    message = teams.turn(activity, app_url=url, timeout=300)
    assert PLANTED not in message["text"] and "30 Arbeitstage" in message["text"]
    assert any(u.endswith("Urlaubsregelung.docx") for u in cited_urls(message))
    for sent in teams.capture.activities(activity["conversation"]["id"]):
        assert PLANTED not in json.dumps(sent.get("text") or ""), "not in any streaming update either"


def test_embedded_first_answer_contains_the_number(running: Running) -> None:
    answer = running.ask("anna.schmidt@contoso.dev", QUESTION)
    assert answer["outcome"] == "answered"
    assert "30" in answer["answer"], answer["answer"]
    assert any(c["file_name"] == "Urlaubsregelung.docx" for c in answer["citations"])


def test_embedded_answer_in_teams_is_grounded(teams: TeamsChannel) -> None:
    activity = teams.activity("clara.weber@contoso.dev", "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?")
    message = teams.turn(activity, timeout=300)  # the embedded model on two shared cores
    assert "120" in message["text"], message["text"]


@pytest.mark.parametrize(
    ("user", "question"),
    [
        ("ben.carter@contoso.dev", "What is the company's share price target for next year?"),
        ("anna.schmidt@contoso.dev", "Wie hoch ist der Zuschuss für ein Fitnessstudio?"),
    ],
)
def test_unanswerable_questions_get_nothing_found(running: Running, user: str, question: str) -> None:
    streamed, final = _sse(running.app_url, user, question)
    assert final["outcome"] == "no_match", final["answer"]
    assert final["citations"] == [] and streamed == ""
