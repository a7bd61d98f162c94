"""``python app.py sync`` when Graph throttles, fails or the sync is killed: exactly one retry
layer, Retry-After waited out, and a killed sync resumes to exactly the full index."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kiota_abstractions.api_error import APIError

from connectors.graph import connect
from connectors.resilience import RetryPolicy, with_retries
from devstack.processes import REPO, DevTenant
from tests.integration.sync.support import (
    ARCHIVE_DRIVE,
    INDEXED,
    admin,
    graph_config,
    index,
    report,
    sync,
)


def test_throttling_server_errors_and_broken_pages_are_retried_past_the_sdk(
    tenant: DevTenant, env: dict[str, str]
) -> None:
    # the SDK retries 429 three times: five in a row get past it; it never retries 500/502
    admin(tenant, "POST", "faults", {"path_regex": "/permissions", "status": 429, "retry_after": 1, "count": 5})
    admin(tenant, "POST", "faults", {"path_regex": "/root/delta", "status": 500, "count": 2})
    admin(tenant, "POST", "faults", {"path_regex": "skiptoken|token=", "status": 502, "count": 1})
    admin(tenant, "POST", "faults", {"path_regex": "^/_download/", "status": 503, "retry_after": 1, "count": 2})
    admin(tenant, "POST", "faults", {"path_regex": "/pages", "status": 429, "retry_after": 1, "count": 4})
    sync(env)
    assert admin(tenant, "GET", "faults") == []  # every fault was hit
    assert set(index(env)) == INDEXED
    kept = report(env)
    assert kept["skipped"] == {"corrupt": 1, "encrypted": 1, "empty": 1}


def test_retry_after_longer_than_the_sdk_accepts_is_waited_out(tenant: DevTenant, env: dict[str, str]) -> None:
    admin(tenant, "POST", "faults", {"path_regex": "^/v1\\.0/sites$", "status": 429, "retry_after": 600, "count": 1})
    config = graph_config(tenant)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def list_sites(max_wait: float) -> Any:
        graph = connect(config)
        try:
            return await with_retries(
                graph.client.sites.get, RetryPolicy(max_retry_after_s=max_wait), "list sites", sleep=record
            )
        finally:
            await graph.close()

    # the SDK's handler gives up on a 600 s Retry-After (it accepts < 180 s); ours waits it out
    sites = asyncio.run(list_sites(900))
    assert waits == [600.0]
    assert sites is not None and len(sites.value or []) == 2
    # beyond the configured bound the call fails instead of hanging
    admin(tenant, "POST", "faults", {"path_regex": "^/v1\\.0/sites$", "status": 429, "retry_after": 600, "count": 1})
    with pytest.raises(APIError) as failure:
        asyncio.run(list_sites(300))
    assert failure.value.response_status_code == 429 and waits == [600.0]


def test_one_throttled_graph_call_is_sent_exactly_graph_retry_max_attempts_times(
    tenant: DevTenant, env: dict[str, str]
) -> None:
    """Our retry loop is the only one: with kiota's RetryHandler inside it, this was 4 × 6 = 24 requests."""
    listing = "/v1.0/sites/getAllSites()"  # as msgraph-sdk sends it
    # 1 for the bare call, 3 for the sync with 3 attempts, 5 for the default sync (6 attempts)
    fault = {"path_regex": f"^{re.escape(listing)}", "status": 429, "retry_after": 0, "count": 9}
    admin(tenant, "POST", "faults", fault)

    def sent() -> list[int]:
        return [r["status"] for r in admin(tenant, "GET", "requests") if r["path"] == listing]

    async def bare_call() -> Any:
        graph = connect(graph_config(tenant))
        try:
            return await graph.client.sites.get_all_sites.get()
        finally:
            await graph.close()

    admin(tenant, "DELETE", "requests")
    with pytest.raises(APIError) as failure:
        asyncio.run(bare_call())
    assert failure.value.response_status_code == 429
    assert sent() == [429], "the client built by connect() must not retry by itself"

    admin(tenant, "DELETE", "requests")
    result = sync({**env, "GRAPH_RETRY_MAX_ATTEMPTS": "3"}, check=False)
    assert result.returncode == 1 and "429" in result.stderr
    assert sent() == [429] * 3

    admin(tenant, "DELETE", "requests")
    sync(env)  # the default, 6 attempts: the sync waits out 5 throttled answers and succeeds
    assert sent()[:6] == [429] * 5 + [200] and admin(tenant, "GET", "faults") == []


def _start_sync(env: dict[str, str], output: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """``app.py sync`` in the background."""
    return subprocess.Popen(
        [sys.executable, "app.py", "sync"], cwd=REPO, env={**os.environ, **env}, stdout=output, stderr=output, text=True
    )


def _kill_when(env: dict[str, str], ready: Any, timeout: float = 120) -> None:
    process = _start_sync(env)
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "kill point not reached"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)


def test_killed_sync_resumes_to_exactly_the_full_index(tenant: DevTenant, env: dict[str, str], tmp_path: Path) -> None:
    reference_env = {**env, "DATA_DIR": str(tmp_path / "reference")}
    sync(reference_env)
    reference = index(reference_env)
    # slow the archive drive down so the kills land inside a sync
    admin(
        tenant,
        "POST",
        "faults",
        {"path_regex": f"{ARCHIVE_DRIVE}.*/permissions", "status": 429, "retry_after": 1, "count": 6},
    )
    admin(tenant, "DELETE", "requests")
    data = Path(env["DATA_DIR"])

    def downloads() -> int:
        return sum(1 for r in admin(tenant, "GET", "requests") if r["kind"] == "download")

    env = {**env, "SYNC_CHECKPOINT_INTERVAL_S": "0"}  # save every page (of 2 items)

    def saved(name: str) -> dict[str, Any]:
        try:
            return dict(json.loads((data / "sync" / name).read_text()))
        except FileNotFoundError:
            return {}

    _kill_when(env, lambda: downloads() >= 3)  # inside the first drive
    # inside the archive drive's full round, after at least one saved page of it
    _kill_when(
        env,
        lambda: len(saved("full_rounds.json").get(ARCHIVE_DRIVE, [])) >= 2 and ARCHIVE_DRIVE in saved("cursors.json"),
    )
    admin(tenant, "DELETE", "requests")
    sync(env)
    assert saved("full_rounds.json") == {}
    archive_delta = [r for r in admin(tenant, "GET", "requests") if ARCHIVE_DRIVE in r["path"] and "delta" in r["path"]]
    assert archive_delta and all("token" in r["path"] + r.get("query", "") for r in archive_delta)  # resumed mid-round
    resumed = index(env)
    assert set(resumed) == set(reference)
    for name, doc in reference.items():
        assert resumed[name]["chunk_ids"] == doc["chunk_ids"], name
        assert resumed[name]["acl"] == doc["acl"], name


def test_a_second_sync_into_the_same_data_dir_is_refused_while_one_runs(tenant: DevTenant, env: dict[str, str]) -> None:
    admin(tenant, "POST", "faults", {"path_regex": "/permissions", "status": 429, "retry_after": 1, "count": 4})
    admin(tenant, "DELETE", "requests")
    first = _start_sync(env, subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not admin(tenant, "GET", "requests"):  # the first one is reading Graph, lock held
            assert first.poll() is None and time.monotonic() < deadline, "the first sync never reached Graph"
            time.sleep(0.05)
        second = sync(env, check=False)
        assert first.poll() is None, "the second sync was refused while the first still ran"
        assert second.returncode == 1
        assert f"another sync is running into {env['DATA_DIR']} (pid {first.pid})" in second.stderr
        out, err = first.communicate(timeout=240)
    finally:
        first.kill()
    assert first.returncode == 0, err[-3000:]
    assert set(index(env)) == INDEXED
    assert sync(env).returncode == 0, "the lock goes with the process"
