"""Teams delivery benchmark: POST acknowledgement and time to the first streamed text.

    .venv/bin/python bench/teams_ack.py [--personal 40] [--group 10] [--delay 0.5] [--llm-url URL]

Runs the real app in-process (routes, Agents SDK, ``TeamsBot``, background turns, SQLite state)
with the Bot Connector stand-in on loopback, and N conversations at once through
``/api/messages``. The model is the OpenAI-compatible stand-in streaming 12 deltas ``--delay``
apart (a slow production model), or a real server at ``--llm-url`` (the embedded llama.cpp:
``python -m devstack.llm``-style, or ``make run``'s on port 8080). The embedder and directory are
the test fakes, so the numbers are the delivery path's own. Prints p50/p95 per measure and, as a
baseline in the same run, the time the model itself takes to its first token and to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from composition import create_app  # noqa: E402
from connectors.llm import LLMConfig, OpenAICompatibleModel  # noqa: E402
from tests.inprocess.conftest import TENANT, serving_for, settings_for  # noqa: E402
from tests.integration.activities import teams_message  # noqa: E402
from tests.integration.capture import ConnectorCapture  # noqa: E402
from tests.llm_standin import LLMStandIn  # noqa: E402

QUESTION = "What is the hotel limit per night?"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def _model_baseline(llm: OpenAICompatibleModel) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    async for _ in llm.stream([{"role": "user", "content": QUESTION}]):
        first = first or time.perf_counter() - started
    return first or float("nan"), time.perf_counter() - started


async def run(personal: int, group: int, delay: float, llm_url: str | None) -> dict[str, Any]:
    capture = ConnectorCapture().start()
    standin = LLMStandIn([f"word{i} " for i in range(11)] + ["per night [1]."], delay_s=delay)
    async with TestServer(standin.app(), host="127.0.0.1") as standin_server:
        url = llm_url or str(standin_server.make_url("")).rstrip("/")
        llm = OpenAICompatibleModel(LLMConfig(url, "-", "bench", 120.0, 120, 0.0))
        baseline_first, baseline_total = await _model_baseline(llm)
        with tempfile.TemporaryDirectory() as tmp:
            serving = serving_for(Path(tmp), llm)
            app = create_app(settings_for(Path(tmp), answer_timeout_s=600.0), serving)
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                kinds = ["personal"] * personal + ["groupChat"] * group
                activities = []
                for kind in kinds:
                    activity = teams_message(
                        text=QUESTION,
                        user_id="anna",
                        user_name="Anna",
                        tenant_id=TENANT,
                        service_url=capture.url,
                        conversation_type=kind,
                        locale="en-US",
                    )
                    if kind != "personal":
                        capture.set_roster(activity["conversation"]["id"], [{"id": "29:a", "aadObjectId": "anna"}])
                    activities.append(activity)
                started = time.perf_counter()

                async def post(activity: dict[str, Any]) -> float:
                    t0 = time.perf_counter()
                    response = await client.post("/api/messages", json=activity)
                    assert response.status == 202, response.status
                    return time.perf_counter() - t0

                acks = await asyncio.gather(*(post(a) for a in activities))
                first: dict[str, float] = {}
                final: dict[str, float] = {}
                deadline = time.monotonic() + 900
                while len(final) < len(activities) and time.monotonic() < deadline:
                    now = time.perf_counter() - started
                    for activity in activities:
                        cid = activity["conversation"]["id"]
                        sent = capture.activities(cid)
                        if cid not in first and any(
                            e.get("streamType") == "streaming" for a in sent for e in a.get("entities") or []
                        ):
                            first[cid] = now
                        if cid not in final and any(a.get("type") == "message" for a in sent):
                            final[cid] = now
                    await asyncio.sleep(0.05)
            await serving.state.aclose()
        await llm.close()
    capture.stop()
    return {
        "conversations": len(activities),
        "ack_p50_s": _pct(acks, 0.5),
        "ack_p95_s": _pct(acks, 0.95),
        "first_stream_p50_s": _pct(list(first.values()), 0.5),
        "first_stream_p95_s": _pct(list(first.values()), 0.95),
        "final_p50_s": _pct(list(final.values()), 0.5),
        "final_p95_s": _pct(list(final.values()), 0.95),
        "lost": len(activities) - len(final),
        "model_first_token_s": baseline_first,
        "model_total_s": baseline_total,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personal", type=int, default=40)
    parser.add_argument("--group", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds between the stand-in's deltas")
    parser.add_argument("--llm-url", help="a real OpenAI-compatible server instead of the stand-in")
    args = parser.parse_args()
    result = asyncio.run(run(args.personal, args.group, args.delay, args.llm_url))
    print(f"{'measure':<28}{'value':>10}")
    for key, value in result.items():
        print(f"{key:<28}{value:>10.3f}" if isinstance(value, float) else f"{key:<28}{value:>10}")
    print(
        f"first streamed text vs the model's own first token: {result['first_stream_p50_s'] / result['model_first_token_s']:.1f}x (p50)"
    )
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
