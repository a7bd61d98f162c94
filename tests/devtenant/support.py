"""The dev tenant under test: a small manifest of its own, and starting/stopping the server."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from azure.identity import ClientSecretCredential

REPO = Path(__file__).resolve().parents[2]
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "99999999-8888-7777-6666-555555555555"
SECRET = "test-secret"
ALICE = "aaaaaaaa-0000-0000-0000-000000000001"
BOB = "aaaaaaaa-0000-0000-0000-000000000002"
G_ALL, G_FIN, G_CTRL, G_ENG = (f"bbbbbbbb-0000-0000-0000-00000000000{i}" for i in range(1, 5))
DRIVE = "b!testdrive-documents"
TRAVEL = "01TRAVEL0000000000000000000000000"
BUDGET = "01BUDGET0000000000000000000000000"
LEAVE = "01LEAVE00000000000000000000000000"
T = TypeVar("T")

MANIFEST: dict[str, Any] = {
    "tenant": {"id": TENANT_ID, "displayName": "Test Tenant", "domain": "test.dev"},
    "app": {"client_id": CLIENT_ID, "client_secret": SECRET},
    "users": [
        {
            "id": ALICE,
            "userPrincipalName": "alice@test.dev",
            "displayName": "Alice Adams",
            "mail": "alice@test.dev",
            "department": "Controlling",
            "preferredLanguage": "de-DE",
        },
        {
            "id": BOB,
            "userPrincipalName": "bob@test.dev",
            "displayName": "Bob Brown",
            "mail": "bob@test.dev",
            "department": "Engineering",
        },
        {
            "id": "aaaaaaaa-0000-0000-0000-000000000003",
            "userPrincipalName": "carol@test.dev",
            "displayName": "Carol Clark",
        },
    ],
    "groups": [
        {
            "id": G_ALL,
            "displayName": "All Staff",
            "mailNickname": "all",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [G_FIN, G_ENG],
        },
        {
            "id": G_FIN,
            "displayName": "Finance",
            "mailNickname": "finance",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [G_CTRL],
        },
        {
            "id": G_CTRL,
            "displayName": "Controlling",
            "mailNickname": "ctrl",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [ALICE],
        },
        {
            "id": G_ENG,
            "displayName": "Engineering",
            "mailNickname": "eng",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [BOB],
        },
    ],
    "sites": [
        {
            "id": "test.dev,aaaa0000-0000-0000-0000-000000000001,bbbb0000-0000-0000-0000-000000000001",
            "name": "intranet",
            "displayName": "Intranet",
            "drives": [
                {
                    "id": DRIVE,
                    "name": "Documents",
                    "items": [
                        {
                            "id": TRAVEL,
                            "path": "Policies/Travel Policy.txt",
                            "source": "docs/travel.txt",
                            "title": "Travel policy",
                            "readers": ["group:All Staff"],
                        },
                        {"path": "Policies/Security.md", "source": "docs/security.md", "readers": ["organization"]},
                        {
                            "id": BUDGET,
                            "path": "Finance/Budget.txt",
                            "source": "docs/budget.txt",
                            "readers": ["group:Finance", "user:carol@test.dev", "opaque"],
                        },
                        {"path": "HR", "folder": True, "readers": ["group:All Staff"]},
                        {"id": LEAVE, "path": "HR/Leave.txt", "source": "docs/leave.txt"},
                    ],
                }
            ],
        },
        {
            "id": "test.dev,aaaa0000-0000-0000-0000-000000000002,bbbb0000-0000-0000-0000-000000000002",
            "name": "teams",
            "displayName": "Teams",
            "drives": [
                {
                    "id": "b!testdrive-teams",
                    "name": "Documents",
                    "items": [{"path": "Notes.txt", "source": "docs/leave.txt", "readers": ["user:bob@test.dev"]}],
                }
            ],
        },
    ],
}
DOCS = {
    "travel.txt": b"Travel: economy class below six hours.\n",
    "security.md": b"# Security\nLock your screen.\n",
    "budget.txt": b"Budget 2025: confidential.\n",
    "leave.txt": b"Leave: 30 days a year.\n",
}
SEED_ITEM_COUNT = 1 + 3 + 4  # root + folders (Policies, Finance, HR) + files


def run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


def start_server(state: Path, seed: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    stderr = open(state / "stderr.log", "w", encoding="utf-8")  # noqa: SIM115 - lives with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtenant", "--state-dir", str(state), "--seed", str(seed), "--page-size", "3", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    conn = state / "devtenant.json"
    deadline = time.monotonic() + 30
    while not conn.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("devtenant did not start: " + (state / "stderr.log").read_text())
        time.sleep(0.05)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    info = json.loads(conn.read_text(encoding="utf-8"))
    assert line.strip() == f"DEVTENANT READY {info['url']}"
    return proc, info


def stop_server(proc: subprocess.Popen[str]) -> int:
    proc.terminate()
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def http(info: dict[str, Any]) -> httpx.Client:
    return httpx.Client(base_url=info["url"], verify=ssl.create_default_context(cafile=info["ca_file"]))


def admin(info: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    with http(info) as client:
        response = client.request(method, f"/_admin{path}", json=body)
    assert response.status_code < 300, response.text
    return response.json()


def graph_requests(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in admin(info, "GET", "/requests") if r["kind"] in ("graph", "download")]


def sync_credential(info: dict[str, Any], secret: str = SECRET, **kwargs: Any) -> ClientSecretCredential:
    return ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        secret,
        authority=info["authority_host"],
        disable_instance_discovery=True,
        **kwargs,
    )
