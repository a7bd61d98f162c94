"""SIGTERM while Teams turns are being answered: every in-flight turn finishes within the grace
period and its reply is delivered; the server then exits cleanly.

A real ``app.py serve`` process on the synced index, the stand-in model server as its own process
(answers take ~4 s, so turns are mid-answer when the signal comes), replies to the Bot Connector
stand-in. The wave and the measurement are the load benchmark's (``bench/load.py``)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from bench.load import conversations, shutdown_phase, warm_up
from devstack.processes import REPO, free_port, start_app
from tests.integration.capture import ConnectorCapture
from tests.integration.conftest import Running
from tests.llm_standin import start_process

GRACE_S = 20.0


def test_sigterm_under_load_lets_in_flight_turns_finish(
    running: Running, capture: ConnectorCapture, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    model, model_url = start_process(logs, deltas=16, delay_s=0.25)
    try:
        data = tmp_path / "data"
        shutil.copytree(Path(running.env["DATA_DIR"]) / "index", data / "index")
        env = {**running.env, "TGI_URL": model_url, "DATA_DIR": str(data), "SHUTDOWN_GRACE_S": str(GRACE_S)}
        server, url = start_app(env, logs, free_port(), name="app-sigterm")
        manifest = json.loads((REPO / "devtenant" / "seed" / "tenant.json").read_text())
        asyncio.run(warm_up(url, manifest["users"]))  # a running service, not one still loading its models
        wave = conversations(capture, manifest["users"], manifest["tenant"]["id"], 12, 4, [url])
        phase = asyncio.run(shutdown_phase(capture, server, url, wave, GRACE_S))
        log = server.log_path.read_text(errors="replace")
    finally:
        model.stop()
    assert all(c.status == 202 for c in wave), [c.status for c in wave]
    assert phase.in_flight >= len(wave) // 2, f"only {phase.in_flight} turns were still running at SIGTERM"
    assert phase.lost == 0, f"{phase.lost} replies lost after SIGTERM"
    assert phase.exit_code == 0 and phase.exit_s <= GRACE_S, (phase.exit_code, phase.exit_s, log[-3000:])
    assert "did not finish within the shutdown grace period" not in log
    for conversation in wave:
        finals = [a for a in capture.activities(conversation.id) if a.get("type") == "message"]
        assert len(finals) == 1, f"{conversation.id}: {len(finals)} final messages"


@pytest.mark.parametrize("grace_s", [1.0])
def test_turns_still_running_after_a_short_grace_are_cancelled_and_named_in_the_log(
    running: Running, capture: ConnectorCapture, tmp_path: Path, grace_s: float
) -> None:
    logs = tmp_path / "logs"
    model, model_url = start_process(logs, deltas=16, delay_s=0.5)  # 8 s answers
    try:
        data = tmp_path / "data"
        shutil.copytree(Path(running.env["DATA_DIR"]) / "index", data / "index")
        env = {**running.env, "TGI_URL": model_url, "DATA_DIR": str(data), "SHUTDOWN_GRACE_S": str(grace_s)}
        server, url = start_app(env, logs, free_port(), name="app-short-grace")
        manifest = json.loads((REPO / "devtenant" / "seed" / "tenant.json").read_text())
        asyncio.run(warm_up(url, manifest["users"][:1]))
        wave = conversations(capture, manifest["users"], manifest["tenant"]["id"], 3, 0, [url])
        phase = asyncio.run(shutdown_phase(capture, server, url, wave, grace_s))
        log = server.log_path.read_text(errors="replace")
    finally:
        model.stop()
    assert phase.exit_code == 0 and phase.exit_s < grace_s + 10, (phase.exit_code, phase.exit_s)
    assert log.count("did not finish within the shutdown grace period") == phase.in_flight == 3, log[-3000:]
