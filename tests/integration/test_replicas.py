"""Two ``app.py serve`` processes on one PostgreSQL database, as two replicas behind a Service.

Real processes on loopback: the dev tenant, one sync, a PostgreSQL server (tests/pg_server.py),
the Bot Connector stand-in, and the fast OpenAI-compatible LLM stand-in (tests/llm_standin.py; the
model is not the point here). Each replica has its own DATA_DIR (its own copy of the index and its
own audit spool); they share conversation history, feedback, the delivery guard and the audit
chain through DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from devstack.processes import REPO, Child, free_port, run_sync, start_app, start_devtenant
from tests.integration.activities import teams_message
from tests.integration.capture import ConnectorCapture
from tests.llm_standin import LLMStandIn
from tests.pg_server import PostgresServer

AUDIT_KEY = "ab" * 32
QUESTION = "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?"
FOLLOWUP = "Und wie ist das in München?"


class StandInThread:
    """The LLM stand-in served on its own thread and loop; ``calls`` are the request bodies."""

    def __init__(self) -> None:
        self.standin = LLMStandIn(["Die Obergrenze ", "liegt bei 120 EUR ", "pro Nacht [1]."], delay_s=0.02)
        self._loop = asyncio.new_event_loop()
        self.port = free_port()
        self._runner = web.AppRunner(self.standin.app())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StandInThread:
        self._thread.start()

        async def serve() -> None:
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def prompts(self) -> list[str]:
        return [json.dumps(call.get("messages"), ensure_ascii=False) for call in list(self.standin.calls)]


@dataclass
class Replicas:
    env: dict[str, str]
    root: Path
    postgres: PostgresServer
    database: str
    capture: ConnectorCapture
    llm: StandInThread
    tenant_id: str
    user: dict[str, Any]
    children: list[Child | None] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def start_replica(self, n: int) -> None:
        env = {**self.env, "DATA_DIR": str(self.root / f"replica-{n}")}
        child, url = start_app(env, self.root / "logs", free_port(), name=f"replica-{n}")
        self.children[n], self.urls[n] = child, url

    def log(self, n: int) -> str:
        return (self.root / "logs" / f"replica-{n}.log").read_text(errors="replace")

    def readyz(self, n: int) -> dict[str, Any]:
        return dict(requests.get(f"{self.urls[n]}/readyz", timeout=10).json())

    def sql(self, query: str) -> str:
        return self.postgres.psql(query, self.database)

    def message(self, text: str, conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        activity = teams_message(
            text=text,
            user_id=self.user["id"],
            user_name=self.user["displayName"],
            tenant_id=self.tenant_id,
            service_url=self.capture.url,
        )
        if conversation is not None:
            activity["conversation"] = copy.deepcopy(conversation)
        activity["id"] = f"{activity['id']}-{time.monotonic_ns()}"
        return activity

    def post(self, n: int, activity: dict[str, Any]) -> requests.Response:
        return requests.post(f"{self.urls[n]}/api/messages", json=activity, timeout=60)

    def replies(self, conversation_id: str) -> list[dict[str, Any]]:
        return [a for a in self.capture.activities(conversation_id) if a.get("type") == "message"]

    def turn(self, n: int, activity: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        cid = activity["conversation"]["id"]
        before = len(self.replies(cid))
        response = self.post(n, activity)
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.replies(cid)
            if len(replies) > before:
                return replies[-1]
            time.sleep(0.1)
        raise TimeoutError(f"no reply from replica {n}:\n{self.log(n)[-3000:]}")


@pytest.fixture(scope="module")
def replicas(
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
    users: dict[str, dict[str, Any]],
    manifest: dict[str, Any],
) -> Iterator[Replicas]:
    root = tmp_path_factory.mktemp("replicas")
    logs = root / "logs"
    tenant = start_devtenant(root / "devtenant", logs)
    llm = StandInThread().start()
    capture = ConnectorCapture().start()
    url = postgres.new_database()
    env = {
        **tenant.env(),
        "TGI_URL": llm.url,
        "LLM_MODEL": "standin",
        "LLM_API_KEY": "-",
        "DEV_MODE": "true",
        "DATABASE_URL": url,
        "AUDIT_KEY": AUDIT_KEY,
        "FOLLOWUP_REWRITE": "llm",
        "SHUTDOWN_GRACE_S": "2",
    }
    group = Replicas(
        env, root, postgres, url.rsplit("/", 1)[1], capture, llm, manifest["tenant"]["id"],
        users["anna.schmidt@contoso.dev"], [None, None], ["", ""],
    )  # fmt: skip
    try:
        run_sync({**env, "DATA_DIR": str(root / "replica-0")}, logs)
        shutil.copytree(root / "replica-0" / "index", root / "replica-1" / "index")  # each its own copy
        group.start_replica(0)
        group.start_replica(1)
        yield group
    finally:
        for child in group.children:
            if child is not None:
                child.stop()
        capture.stop()
        llm.stop()
        tenant.child.stop()


def _count_turns(replicas: Replicas, conversation_id: str) -> int:
    return int(
        replicas.sql(f"SELECT count(*) FROM conversation_turns WHERE conversation_key LIKE '%{conversation_id}'")
    )


def test_a_conversation_started_on_one_replica_continues_on_the_other(replicas: Replicas) -> None:
    first = replicas.message(QUESTION)
    answer = replicas.turn(0, first)
    assert "120 EUR" in answer["text"]
    cid = first["conversation"]["id"]
    assert _count_turns(replicas, cid) == 2
    calls_before = len(replicas.llm.standin.calls)
    replicas.turn(1, replicas.message(FOLLOWUP, first["conversation"]))
    # Replica 1 read the history replica 0 wrote: the follow-up rewrite saw the first question.
    later = replicas.llm.prompts()[calls_before:]
    assert any("Hotelobergrenze" in prompt and "München" in prompt for prompt in later), later
    assert _count_turns(replicas, cid) == 4
    for n in (0, 1):
        assert replicas.readyz(n)["state"] == {"backend": "postgresql", "available": True}


def test_one_activity_delivered_to_both_replicas_is_answered_once(replicas: Replicas) -> None:
    activity = replicas.message(QUESTION)
    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda n: replicas.post(n, activity), (0, 1)))
    assert statuses == [200, 202]  # one replica claimed it; the other acknowledged the redelivery
    cid = activity["conversation"]["id"]
    deadline = time.monotonic() + 60
    while not replicas.replies(cid) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # room for a second, wrong answer to arrive
    assert len(replicas.replies(cid)) == 1


def _feedback(replicas: Replicas, n: int, answered: dict[str, Any], reaction: str, comment: str) -> None:
    stream = next((e for e in answered.get("entities") or [] if e.get("type") == "streaminfo"), None)
    rated = stream["streamId"] if stream else answered["_returned_id"]
    invoke = replicas.message("")
    invoke.pop("text", None)
    invoke.update(
        type="invoke",
        name="message/submitAction",
        conversation=answered["conversation"],
        replyToId=rated,
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": reaction, "feedback": json.dumps({"feedbackText": comment})},
        },
    )
    response = replicas.post(n, invoke)
    assert response.status_code == 200, response.text


def _cli(replicas: Replicas, *args: str) -> subprocess.CompletedProcess[str]:
    """``app.py`` on a third host: its own DATA_DIR, the shared database."""
    env = {**os.environ, **replicas.env, "DATA_DIR": str(replicas.root / "cli")}
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_feedback_sent_to_either_replica_is_listed_by_app_py_feedback(replicas: Replicas) -> None:
    on_0 = replicas.message(QUESTION)
    answer_0 = replicas.turn(0, on_0)
    answer_0["conversation"] = on_0["conversation"]
    on_1 = replicas.message(QUESTION)
    answer_1 = replicas.turn(1, on_1)
    answer_1["conversation"] = on_1["conversation"]
    _feedback(replicas, 1, answer_0, "like", "von Replik 0 beantwortet")  # rated on the other replica
    _feedback(replicas, 0, answer_1, "dislike", "von Replik 1 beantwortet")
    result = _cli(replicas, "feedback", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    listed = json.loads(result.stdout)
    ratings = listed["ratings"] if isinstance(listed, dict) else listed
    comments = {r["comment"]: r["reaction"] for r in ratings}
    assert comments["von Replik 0 beantwortet"] == "like"
    assert comments["von Replik 1 beantwortet"] == "dislike"
    # The audit chain both replicas wrote verifies as one.
    verify = _cli(replicas, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr[-2000:]
    assert "intact" in verify.stdout and "in PostgreSQL" in verify.stdout


def test_the_database_stopped_and_started_again(replicas: Replicas) -> None:
    first = replicas.message(QUESTION)
    replicas.turn(0, first)
    cid = first["conversation"]["id"]
    replicas.postgres.stop()
    try:
        # Answers go on without history; the log says so and /readyz tells (still ready: answering).
        answer = replicas.turn(1, replicas.message(FOLLOWUP, first["conversation"]))
        assert "120 EUR" in answer["text"]
        assert "PostgreSQL state database unavailable" in replicas.log(1)
        deadline = time.monotonic() + 20
        while replicas.readyz(0)["state"]["available"] and time.monotonic() < deadline:
            time.sleep(0.5)
        body = replicas.readyz(0)
        assert body["ready"] is True and body["state"]["available"] is False and body["state"]["error"]
        # A rating given now is answered as Teams requires (200) and its loss is logged.
        answer["conversation"] = first["conversation"]
        _feedback(replicas, 1, answer, "like", "während des Ausfalls")
        assert "feedback not stored" in replicas.log(1)
    finally:
        replicas.postgres.start()
    deadline = time.monotonic() + 30
    while not all(replicas.readyz(n)["state"]["available"] for n in (0, 1)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(replicas.readyz(n)["state"]["available"] for n in (0, 1))
    assert "available again" in replicas.log(0)
    # Without a restart: history is read and written again on both.
    assert _count_turns(replicas, cid) == 2  # the outage turn was answered but not remembered
    calls_before = len(replicas.llm.standin.calls)
    replicas.turn(1, replicas.message(FOLLOWUP, first["conversation"]))
    assert any("Hotelobergrenze" in p for p in replicas.llm.prompts()[calls_before:])
    assert _count_turns(replicas, cid) == 4
    # The audit records written during the outage joined the one chain.
    replicas.turn(1, replicas.message(QUESTION))
    assert int(replicas.sql("SELECT count(*) FROM audit_records")) >= 1
    assert not (replicas.root / "replica-1" / "audit" / "pending.jsonl").read_text().strip()


def test_a_replica_killed_mid_conversation_and_the_other_continues(replicas: Replicas) -> None:
    first = replicas.message(QUESTION)
    replicas.turn(0, first)
    cid = first["conversation"]["id"]
    child = replicas.children[0]
    assert child is not None
    # Replica 0 is killed while it streams the answer to the second question.
    replicas.llm.standin.delay_s = 1.5
    try:
        in_flight = replicas.message(FOLLOWUP, first["conversation"])
        seen = len(replicas.capture.activities(cid))
        assert replicas.post(0, in_flight).status_code == 202
        deadline = time.monotonic() + 30
        while len(replicas.capture.activities(cid)) == seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(replicas.capture.activities(cid)) > seen, "the turn did not start"
        child.process.send_signal(signal.SIGKILL)
        child.process.wait(10)
    finally:
        replicas.llm.standin.delay_s = 0.02
    assert len(replicas.replies(cid)) == 1  # the killed turn never got its final message
    # Teams redelivers the unanswered activity to the other replica: its claim is held (a
    # duplicate is judged worse than a lost answer, state/dedup.py), so it is acknowledged only.
    assert replicas.post(1, in_flight).status_code == 200
    # The person asks again; the other replica answers with the history replica 0 wrote.
    calls_before = len(replicas.llm.standin.calls)
    answer = replicas.turn(1, replicas.message(FOLLOWUP, first["conversation"]))
    assert "120 EUR" in answer["text"]
    assert any("Hotelobergrenze" in p for p in replicas.llm.prompts()[calls_before:])
    assert _count_turns(replicas, cid) == 4
    replicas.start_replica(0)  # a new pod in its place
    assert replicas.readyz(0)["state"]["available"] is True
