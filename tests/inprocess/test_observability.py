"""After real turns, /metrics has every stage, the model's tokens and failures, and the Grafana
dashboard queries only metrics that exist; every log line of one turn carries its correlation id.

The model is the OpenAI-compatible stand-in server (``tests/llm_standin.py``) on loopback, called
through the product's own client; Teams replies go to the Bot Connector stand-in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from answering.metrics import AnswerMetrics
from composition import create_app
from connectors.llm import LLMConfig, OpenAICompatibleModel
from observability import STAGES, CorrelationFilter, SyncMetrics
from tests.inprocess.conftest import CHUNKS, TENANT, serving_for, settings_for
from tests.integration.activities import teams_message
from tests.integration.capture import ConnectorCapture
from tests.llm_standin import LLMStandIn

pytestmark = pytest.mark.asyncio

DASHBOARD = Path(__file__).resolve().parents[2] / "infra" / "grafana" / "assistant-dashboard.json"
QUESTION = "What is the hotel limit per night?"
ANSWER = ["The hotel limit ", "is 120 EUR ", "per night [1]."]


class StampedPermissions:
    """The answer-time check answering with the ACL each chunk was stamped with (nothing revoked)."""

    def __init__(self) -> None:
        self.asked = 0

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        self.asked += 1
        return next(c.acl for c in CHUNKS if (c.doc.drive_id, c.doc.item_id) == (drive_id, item_id))


@dataclass
class Observed:
    client: TestClient
    standin: LLMStandIn
    metrics: AnswerMetrics
    capture: ConnectorCapture


@pytest_asyncio.fixture
async def observed(tmp_path: Path, capture: ConnectorCapture) -> AsyncIterator[Observed]:
    standin = LLMStandIn(ANSWER, delay_s=0.05)
    async with TestServer(standin.app(), host="127.0.0.1") as model_server:
        metrics = AnswerMetrics()
        url = str(model_server.make_url("")).rstrip("/")
        llm = OpenAICompatibleModel(LLMConfig(url, "-", "standin", 0.5, 64, 0.0), metrics.llm)
        serving = serving_for(tmp_path, llm, permissions=StampedPermissions(), metrics=metrics)
        app = create_app(settings_for(tmp_path), serving)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield Observed(client, standin, metrics, capture)
        await llm.close()
        await serving.state.aclose()


def _activity(capture: ConnectorCapture) -> dict[str, object]:
    return teams_message(
        text=QUESTION,
        user_id="anna",
        user_name="Anna",
        tenant_id=TENANT,
        service_url=capture.url,
        conversation_type="personal",
        locale="en-US",
    )


async def _teams_turn(observed: Observed, headers: dict[str, str] | None = None) -> dict[str, object]:
    activity = _activity(observed.capture)
    response = await observed.client.post("/api/messages", json=activity, headers=headers or {})
    assert response.status == 202
    conversation = str(activity["conversation"]["id"])  # type: ignore[index]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sent = [a for a in observed.capture.activities(conversation) if a.get("type") == "message"]
        if sent:
            return sent[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no reply in {conversation}")


async def _samples(client: TestClient) -> dict[str, float]:
    """Every sample of /metrics as ``name{labels}`` → value (and ``name`` → sum over labels)."""
    response = await client.get("/metrics")
    assert response.status == 200
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()) if k != "le")
            values[f"{sample.name}{{{labels}}}"] = values.get(f"{sample.name}{{{labels}}}", 0.0) + sample.value
            values[sample.name] = values.get(sample.name, 0.0) + sample.value
    return values


async def test_one_teams_turn_and_one_ask_fill_every_stage_and_the_token_counters(observed: Observed) -> None:
    before = await _samples(observed.client)
    assert before['assistant_llm_errors_total{kind="timeout"}'] == 0  # both kinds exist from the start
    reply = await _teams_turn(observed)
    assert "120 EUR" in str(reply["text"])
    response = await observed.client.post("/api/ask", json={"question": QUESTION, "user": "anna"})
    assert response.status == 200 and (await response.json())["outcome"] == "answered"
    assert response.headers["X-Correlation-Id"]

    deadline = time.monotonic() + 5  # the Teams turn ends its stream after the reply is seen
    while True:
        after = await _samples(observed.client)
        counts = {s: after.get(f'assistant_stage_seconds_count{{stage="{s}"}}', 0) for s in STAGES}
        if min(counts.values()) >= 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert min(counts.values()) >= 2, f"stages observed after a Teams turn and an /api/ask: {counts}"
    assert after["assistant_llm_requests_total"] == 2
    # The stand-in reports usage like vLLM and TGI: 42 prompt tokens and one token a delta, per call.
    assert after["assistant_llm_prompt_tokens_total"] == 2 * LLMStandIn.PROMPT_TOKENS
    assert after["assistant_llm_completion_tokens_total"] == 2 * len(ANSWER)
    assert after["process_resident_memory_bytes"] > 0


async def test_the_dashboard_queries_only_metrics_the_app_and_the_sync_worker_export(observed: Observed) -> None:
    await _teams_turn(observed)
    exported = set(await _samples(observed.client))
    sync = SyncMetrics()
    sync.finished({"added": 3, "finished": time.time(), "duration_s": 1.0}, "sync")
    from prometheus_client import generate_latest

    for family in text_string_to_metric_families(generate_latest(sync.registry).decode()):
        exported.update(sample.name for sample in family.samples)

    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    queried = {name for expr in exprs for name in re.findall(r"\b(?:assistant|process)_[a-z0-9_]+", expr)}
    assert len(queried) >= 15
    missing = sorted(queried - {name for name in exported if "{" not in name})
    assert not missing, f"the dashboard queries metrics nobody exports: {missing}"
    stages = " ".join(e for e in exprs if "assistant_stage_seconds" in e)
    assert "by (le, stage)" in stages


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """What the root logger emits during the test, with correlation ids as a handler adds them."""

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.kept: list[logging.LogRecord] = []
            self.addFilter(CorrelationFilter())

        def emit(self, record: logging.LogRecord) -> None:
            self.kept.append(record)

    handler = Keep()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.kept
    root.removeHandler(handler)
    root.setLevel(level)


OUR_LOGGERS = ("bot", "answering", "connectors", "access", "retrieval", "audit", "state")


async def test_every_log_line_of_a_failing_turn_carries_its_correlation_id_and_the_error_is_counted(
    observed: Observed, records: list[logging.LogRecord]
) -> None:
    observed.standin.fail_status = 500
    reply = await _teams_turn(observed, headers={"X-Correlation-Id": "turn-0123456789"})
    # the announced degraded answer: the best passage, not a generated text
    assert str(reply["text"]).startswith("The language model is not available right now")
    ours = [r for r in records if r.name.split(".")[0] in OUR_LOGGERS]
    names = {r.name for r in ours}
    assert "bot.activity_endpoint" in names, "the acknowledgement is logged in the request"
    assert "connectors.llm" in names, "the model's failure is logged in the background turn"
    assert {getattr(r, "correlation_id", None) for r in ours} == {"turn-0123456789"}, [
        (r.name, getattr(r, "correlation_id", None), r.getMessage()) for r in ours
    ]
    after = await _samples(observed.client)
    assert after['assistant_llm_errors_total{kind="error"}'] == 1
    assert after['assistant_llm_errors_total{kind="timeout"}'] == 0


async def test_two_turns_get_different_correlation_ids_and_a_model_timeout_is_counted_as_one(
    observed: Observed, records: list[logging.LogRecord]
) -> None:
    observed.standin.delay_s = 1.0  # the client gives up after 0.5 s
    await asyncio.gather(_teams_turn(observed), _teams_turn(observed))
    failures = [r for r in records if r.name == "connectors.llm"]
    assert len(failures) == 2
    assert len({getattr(r, "correlation_id", None) for r in failures} - {"-", None}) == 2
    after = await _samples(observed.client)
    assert after['assistant_llm_errors_total{kind="timeout"}'] == 2
    assert after['assistant_llm_errors_total{kind="error"}'] == 0
