"""The embedded default as real processes on loopback: dev tenant, llama.cpp server, the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.processes import REPO, Stack, free_port, run_sync, start_app, start_stack
from tests.integration.activities import teams_message
from tests.integration.capture import ConnectorCapture
from tests.pg_server import PostgresServer, pg_bin

MODELS = REPO / ".local" / "models"


@dataclass
class Running:
    stack: Stack
    app_url: str
    sync_summary: str

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    @property
    def devtenant_url(self) -> str:
        return self.stack.devtenant.info["url"]

    def ask(self, user: str, question: str, **extra: Any) -> dict[str, Any]:
        response = requests.post(
            f"{self.app_url}/api/ask", json={"question": question, "user": user, **extra}, timeout=120
        )
        response.raise_for_status()
        return dict(response.json())

    def ask_stream(self, user: str, question: str, **extra: Any) -> tuple[list[str], dict[str, Any]]:
        """/api/ask as Server-Sent Events: the streamed text deltas and the final answer."""
        response = requests.post(
            f"{self.app_url}/api/ask",
            json={"question": question, "user": user, **extra},
            headers={"Accept": "text/event-stream"},
            timeout=120,
        )
        response.raise_for_status()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        deltas: list[str] = []
        final: dict[str, Any] | None = None
        for block in response.text.split("\n\n"):
            if not block.strip():
                continue
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            data = json.loads(fields["data"])
            if fields["event"] == "delta":
                assert final is None, "no delta after the answer"
                deltas.append(data["text"])
            else:
                final = data
        assert final is not None, "the stream ends with an answer event"
        return deltas, final

    @property
    def log_dir(self) -> Path:
        return self.stack.root / "logs"

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "app.py", *args],
            cwd=REPO,
            env={**os.environ, **self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("stack")
    stack = start_stack(root, MODELS)
    try:
        summary = run_sync(stack.env, root / "logs")
        # The answer-time check may reuse a document's permissions for 1 s here (60 s by default),
        # so that revocation tests need not wait.
        stack.env["PERMISSION_CHECK_TTL_S"] = "1"
        # These tests are about the model path (streaming, the check, latency): the model answers
        # every question, where the embedded profile (make run) answers many from the passages.
        stack.env["ANSWER_STRATEGY"] = "generate"
        child, url = start_app(stack.env, root / "logs", free_port())
        stack.children.append(child)
        yield Running(stack, url, summary)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def degraded(running: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second app on the same index whose LLM is down and whose group cache is off."""
    env = {
        **running.env,
        "TGI_URL": f"http://127.0.0.1:{free_port()}",
        "LLM_TIMEOUT_S": "5",
        "GROUP_CACHE_TTL_S": "0",
        "GRAPH_TIMEOUT_S": "5",
    }
    child, url = start_app(env, tmp_path_factory.mktemp("degraded"), free_port(), name="degraded-app")
    try:
        yield url
    finally:
        child.stop()


@pytest.fixture(scope="session")
def capture() -> Iterator[ConnectorCapture]:
    connector = ConnectorCapture().start()
    yield connector
    connector.stop()


def admin(running: Running, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(
        method, f"{running.devtenant_url}/_admin/{path}", json=body, verify=running.env["SSL_CERT_FILE"], timeout=10
    )
    response.raise_for_status()
    return response.json() if response.content else None


def search_json(running: Running, user: str, queries: list[str], tmp: Path, k: int = 5) -> list[dict[str, Any]]:
    queries_file = tmp / f"queries-{abs(hash((user, tuple(queries))))}.txt"
    queries_file.write_text("\n".join(queries) + "\n", encoding="utf-8")
    result = running.cli("search", "--user", user, "--json", "-k", str(k), "--queries-file", str(queries_file))
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@dataclass
class TeamsChannel:
    """Builds Teams activities for demo users and plays one turn: POST, then wait for the reply."""

    running: Running
    capture: ConnectorCapture
    users: dict[str, dict[str, Any]]
    tenant_id: str

    def activity(
        self,
        upn: str,
        text: str,
        *,
        tenant_id: str | None = None,
        members: list[str] | None = None,
        **shape: Any,
    ) -> dict[str, Any]:
        """A message from ``upn``; in a group chat or channel the roster is the asker plus
        ``members`` (UPNs of seed users, or raw roster entries as dicts)."""
        user = self.users[upn]
        activity = teams_message(
            text=text,
            user_id=user["id"],
            user_name=user["displayName"],
            tenant_id=tenant_id or self.tenant_id,
            service_url=self.capture.url,
            **shape,
        )
        if activity["conversation"]["conversationType"] != "personal":
            roster = [activity["from"]] + [self.roster_entry(m) for m in members or []]
            self.capture.set_roster(activity["conversation"]["id"], roster)
        return activity

    def roster_entry(self, member: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(member, dict):
            return member
        user = self.users[member]
        return {"id": f"29:1{user['id'][:8]}", "aadObjectId": user["id"], "name": user["displayName"]}

    def post(self, activity: dict[str, Any], app_url: str | None = None) -> requests.Response:
        return requests.post(f"{app_url or self.running.app_url}/api/messages", json=activity, timeout=120)

    def turn(self, activity: dict[str, Any], app_url: str | None = None, timeout: float = 90) -> dict[str, Any]:
        response = self.post(activity, app_url)
        assert response.status_code in (200, 202), response.text
        return self.capture.wait_for_message(activity["conversation"]["id"], timeout=timeout)


@pytest.fixture(scope="session")
def teams(
    running: Running, capture: ConnectorCapture, users: dict[str, dict[str, Any]], manifest: dict[str, Any]
) -> TeamsChannel:
    return TeamsChannel(running, capture, users, manifest["tenant"]["id"])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on a loopback port for the whole session (tests/pg_server.py)."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql; .ci/run installs it)")
    server = PostgresServer.create()
    try:
        yield server
    finally:
        server.destroy()
