"""The sync worker (``app.py sync --watch``) serves its progress gauges on SYNC_METRICS_PORT and
logs JSON lines that carry the run's correlation id."""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from devstack.processes import free_port, start
from tests.integration.sync.support import report


def _gauges(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        text = response.read().decode()
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def test_sync_watch_serves_its_gauges_and_logs_json(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    worker = start(
        "sync-watch",
        [sys.executable, "app.py", "sync", "--watch"],
        tmp_path / "logs",
        env={**env, "SYNC_METRICS_PORT": str(port), "SYNC_INTERVAL_S": "3600", "LOG_FORMAT": "json"},
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 240
        gauges: dict[str, float] = {}
        while time.monotonic() < deadline:
            assert worker.alive(), worker.log_tail()
            try:
                gauges = _gauges(url)
            except OSError:
                gauges = {}
            if gauges.get("assistant_sync_runs_total{mode=sync,result=ok}"):
                break
            time.sleep(0.5)
        assert gauges.get("assistant_sync_runs_total{mode=sync,result=ok}") == 1, worker.log_tail()
    finally:
        worker.stop()
    last = report(env)
    assert gauges["assistant_sync_running"] == 0
    assert gauges["assistant_sync_documents{change=added}"] == last["added"] > 0
    assert gauges["assistant_sync_index_documents"] == last["documents_in_index"]
    assert gauges["assistant_sync_index_chunks"] == last["chunks_in_index"]
    assert abs(gauges["assistant_sync_last_success_timestamp_seconds"] - time.time()) < 600
    lines = [json.loads(line) for line in worker.log_path.read_text().splitlines() if line.startswith("{")]
    assert lines, worker.log_tail()
    during = [line for line in lines if line["logger"].startswith(("retrieval", "connectors"))]
    assert during and all(line["correlation_id"].startswith("sync-") for line in during), during[:5]
