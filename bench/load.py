"""Load: N concurrent Teams conversations through /api/messages, one server then two replicas,
then SIGTERM under load.

    .venv/bin/python bench/load.py [--personal 200] [--group 40] [--deltas 16] [--delay 0.1]
                                   [--database-url postgresql://…] [--grace 30]

Real processes on loopback: the dev tenant (Graph and Entra for identity and the answer-time
permission check), one ``app.py sync`` with the embedded embedder, ``app.py serve`` (one, then
two replicas, each with its own copy of the index and, without ``--database-url``, its own
SQLite state), the OpenAI-compatible stand-in model server (``tests/llm_standin.py``: ``--deltas``
chunks ``--delay`` apart, ~1.6 s an answer by default) and the Bot Connector stand-in
(``tests/integration/capture.py``) that receives the replies. The bot runs without credentials
(the SDK's anonymous mode), as in the Teams tests.

Each fresh server is warmed up first (one ``/api/ask`` per demo user: the embedder loaded, a
Graph token, the principals cached), so the phases measure a running service. Per phase it prints: POST acknowledgement, first streamed update (1:1 chats) and final reply
p50/p95, lost replies and 5xx, each stage's p50/p95 from the servers' own histograms
(``assistant_stage_seconds``, interpolated within buckets as PromQL does) and mean, and the
servers' peak RSS. The model's own time for one answer is measured first as the baseline.
The shutdown phase sends a wave of conversations, SIGTERMs the server while they are being
answered, and reports whether every reply still arrived and how long the server took to exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from devstack.processes import REPO, Child, free_port, run_sync, start_app, start_devtenant  # noqa: E402
from observability import STAGES  # noqa: E402
from tests.integration.activities import teams_message  # noqa: E402
from tests.integration.capture import ConnectorCapture  # noqa: E402
from tests.llm_standin import start_process  # noqa: E402

QUESTIONS = [
    "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?",
    "What is the hotel limit per night in Germany?",
]


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


@dataclass
class Conversation:
    activity: dict[str, Any]
    server: str
    posted: float = 0.0
    ack_s: float = float("nan")
    status: int = 0

    @property
    def id(self) -> str:
        return str(self.activity["conversation"]["id"])

    @property
    def personal(self) -> bool:
        return self.activity["conversation"]["conversationType"] == "personal"


@dataclass
class Phase:
    name: str
    conversations: list[Conversation]
    first_s: list[float] = field(default_factory=list)
    final_s: list[float] = field(default_factory=list)
    lost: int = 0
    stages: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    in_flight: int = 0
    """Shutdown phase: turns not yet answered when SIGTERM was sent."""
    exit_s: float = float("nan")
    exit_code: int | None = None

    @property
    def server_errors(self) -> int:
        return sum(c.status >= 500 or c.status == 0 for c in self.conversations)


def conversations(
    capture: ConnectorCapture, users: list[dict[str, Any]], tenant: str, personal: int, group: int, servers: list[str]
) -> list[Conversation]:
    """``personal`` 1:1 chats and ``group`` group chats (asker plus two colleagues), round-robin."""
    made: list[Conversation] = []
    for n, kind in enumerate(["personal"] * personal + ["groupChat"] * group):
        user = users[n % len(users)]
        activity = teams_message(
            text=QUESTIONS[n % len(QUESTIONS)],
            user_id=user["id"],
            user_name=user["displayName"],
            tenant_id=tenant,
            service_url=capture.url,
            conversation_type=kind,
            locale="de-DE" if n % 2 == 0 else "en-US",
        )
        if kind == "groupChat":
            roster = [activity["from"]] + [
                {"id": f"29:1{u['id'][:8]}", "aadObjectId": u["id"], "name": u["displayName"]}
                for u in (users[(n + 1) % len(users)], users[(n + 2) % len(users)])
            ]
            capture.set_roster(activity["conversation"]["id"], roster)
        made.append(Conversation(activity, servers[n % len(servers)]))
    return made


async def post_all(session: aiohttp.ClientSession, wave: list[Conversation]) -> None:
    async def post(conversation: Conversation) -> None:
        conversation.posted = time.time()
        try:
            async with session.post(f"{conversation.server}/api/messages", json=conversation.activity) as response:
                conversation.status = response.status
        except aiohttp.ClientError:
            conversation.status = 0
        conversation.ack_s = time.time() - conversation.posted

    await asyncio.gather(*(post(c) for c in wave))


async def await_replies(capture: ConnectorCapture, phase: Phase, timeout_s: float) -> None:
    """Wait for each conversation's final message; first streamed update and final times."""
    pending = {c.id: c for c in phase.conversations}
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for cid, conversation in list(pending.items()):
            sent = capture.activities(cid)
            final = [a for a in sent if a.get("type") == "message"]
            if not final:
                continue
            if conversation.personal:
                streamed = [
                    a["_received"]
                    for a in sent
                    if any(e.get("streamType") == "streaming" for e in a.get("entities") or [])
                ]
                if streamed:
                    phase.first_s.append(min(streamed) - conversation.posted)
            phase.final_s.append(final[0]["_received"] - conversation.posted)
            del pending[cid]
        await asyncio.sleep(0.1)
    phase.lost = len(pending)


async def scrape(session: aiohttp.ClientSession, server: str) -> dict[str, Any]:
    async with session.get(f"{server}/metrics") as response:
        text = await response.text()
    buckets: dict[str, dict[float, float]] = {s: {} for s in STAGES}
    sums: dict[str, float] = {}
    rss = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            stage = sample.labels.get("stage")
            if sample.name == "assistant_stage_seconds_bucket" and stage in buckets:
                buckets[stage][float(sample.labels["le"])] = sample.value
            elif sample.name in ("assistant_stage_seconds_sum", "assistant_stage_seconds_count") and stage:
                sums[f"{sample.name.rsplit('_', 1)[1]}:{stage}"] = sample.value
            elif sample.name == "process_resident_memory_bytes":
                rss = sample.value
    return {"buckets": buckets, "sums": sums, "rss": rss}


def bucket_quantile(q: float, buckets: dict[float, float]) -> float:
    """PromQL's histogram_quantile over cumulative ``le`` → count."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if not total:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(buckets[bound] - below, 1e-9)
        lower, below = bound, buckets[bound]
    return lower


def stage_table(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, tuple[float, float, float]]:
    """(p50, p95, mean) per stage over this phase, all servers together."""
    table: dict[str, tuple[float, float, float]] = {}
    for stage in STAGES:
        merged: dict[float, float] = {}
        total = count = 0.0
        for b, a in zip(before, after, strict=True):
            for le, value in a["buckets"][stage].items():
                merged[le] = merged.get(le, 0.0) + value - b["buckets"][stage].get(le, 0.0)
            total += a["sums"].get(f"sum:{stage}", 0) - b["sums"].get(f"sum:{stage}", 0)
            count += a["sums"].get(f"count:{stage}", 0) - b["sums"].get(f"count:{stage}", 0)
        table[stage] = (
            bucket_quantile(0.5, merged),
            bucket_quantile(0.95, merged),
            total / count if count else float("nan"),
        )
    return table


async def warm_up(server: str, users: list[dict[str, Any]]) -> None:
    """One /api/ask per user: the embedder loaded, a Graph token, the principals cached."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        for user in users:
            body = {"question": QUESTIONS[0], "user": user["id"]}
            async with session.post(f"{server}/api/ask", json=body) as response:
                response.raise_for_status()


async def run_phase(
    name: str, capture: ConnectorCapture, servers: dict[str, Child], wave: list[Conversation], timeout_s: float = 600
) -> Phase:
    phase = Phase(name, wave)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        urls = list(servers)
        before = [await scrape(session, url) for url in urls]
        peak = {url: 0.0 for url in urls}

        async def watch_memory() -> None:
            while True:
                for url in urls:
                    peak[url] = max(peak[url], (await scrape(session, url))["rss"])
                await asyncio.sleep(1.0)

        watcher = asyncio.create_task(watch_memory())
        await post_all(session, wave)
        await await_replies(capture, phase, timeout_s)
        await asyncio.sleep(1.5)  # the last streams are ended after their final message
        watcher.cancel()
        after = [await scrape(session, url) for url in urls]
    phase.stages = stage_table(before, after)
    phase.rss_mb = {servers[url].name: max(peak[url], a["rss"]) / 2**20 for url, a in zip(urls, after, strict=True)}
    return phase


async def shutdown_phase(
    capture: ConnectorCapture, server: Child, url: str, wave: list[Conversation], grace_s: float
) -> Phase:
    """Send a wave, SIGTERM the server once every turn has started, check every reply arrives."""
    phase = Phase("SIGTERM while answering", wave)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await post_all(session, wave)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(capture.activities(c.id) for c in wave):
        await asyncio.sleep(0.05)  # every turn has sent something (typing or a stream update)
    answered_before = sum(any(a.get("type") == "message" for a in capture.activities(c.id)) for c in wave)
    server.process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    while server.alive() and time.monotonic() - stopped < grace_s + 30:
        await asyncio.sleep(0.1)
    phase.exit_s = time.monotonic() - stopped
    phase.exit_code = server.process.poll()
    phase.in_flight = len(wave) - answered_before
    await await_replies(capture, phase, timeout_s=5)
    phase.notes = [
        f"SIGTERM with {phase.in_flight} of {len(wave)} turns still being answered",
        f"server exited after {phase.exit_s:.1f} s (grace {grace_s:.0f} s), exit code {phase.exit_code}",
        f"replies after SIGTERM: {phase.in_flight - phase.lost}, lost: {phase.lost}",
    ]
    return phase


def print_phase(phase: Phase, baseline_s: float) -> None:
    acks = [c.ack_s for c in phase.conversations]
    personal = sum(c.personal for c in phase.conversations)
    print(f"\n## {phase.name}: {personal} personal + {len(phase.conversations) - personal} group conversations at once")
    print(f"{'measure':<34}{'p50 s':>9}{'p95 s':>9}{'mean s':>9}")
    rows = [
        ("POST acknowledgement", acks),
        ("first streamed update (1:1)", phase.first_s),
        ("final reply", phase.final_s),
    ]
    for label, values in rows:
        mean = sum(values) / len(values) if values else float("nan")
        print(f"{label:<34}{pct(values, 0.5):>9.3f}{pct(values, 0.95):>9.3f}{mean:>9.3f}")
    for stage, (p50, p95, mean) in phase.stages.items():
        print(f"{'stage ' + stage:<34}{p50:>9.3f}{p95:>9.3f}{mean:>9.3f}")
    print(f"replies lost: {phase.lost}   5xx or refused POSTs: {phase.server_errors}   model alone: {baseline_s:.2f} s")
    if phase.final_s:
        print(f"final-reply p95 / model time: {pct(phase.final_s, 0.95) / baseline_s:.1f}x")
    for name, mb in phase.rss_mb.items():
        print(f"peak RSS {name}: {mb:.0f} MiB")
    for note in phase.notes:
        print(note)


async def model_baseline(url: str) -> float:
    body = {"model": "standin", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session, session.post(f"{url}/v1/chat/completions", json=body) as response:
        await response.read()
    return time.perf_counter() - started


async def main_async(args: argparse.Namespace) -> int:
    root = Path(tempfile.mkdtemp(prefix="load-"))
    logs = root / "logs"
    capture = ConnectorCapture().start()
    children: list[Child] = []
    try:
        tenant = start_devtenant(root / "devtenant", logs)
        children.append(tenant.child)
        model, model_url = start_process(logs, args.deltas, args.delay)
        children.append(model)
        env = {
            **tenant.env(),
            "TGI_URL": model_url,
            "LLM_MODEL": "standin",
            "LLM_API_KEY": "-",
            "DATA_DIR": str(root / "data-1"),
            "DEV_MODE": "true",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "ANSWER_TIMEOUT_S": "120",
            "SHUTDOWN_GRACE_S": str(args.grace),
        }
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        print(run_sync(env, logs).splitlines()[0], flush=True)
        shutil.copytree(root / "data-1" / "index", root / "data-2" / "index")  # each replica its own index copy
        baseline = await model_baseline(model_url)
        manifest = json.loads((REPO / "devtenant" / "seed" / "tenant.json").read_text())
        users, tenant_id = manifest["users"], manifest["tenant"]["id"]

        one, url1 = start_app(env, logs, free_port(), name="serve-1")
        children.append(one)
        started = time.perf_counter()
        await warm_up(url1, users)
        print(f"warm-up of a fresh server (one /api/ask per user, cold caches): {time.perf_counter() - started:.1f} s")
        wave = conversations(capture, users, tenant_id, args.personal, args.group, [url1])
        phases = [await run_phase("one server", capture, {url1: one}, wave)]

        two, url2 = start_app({**env, "DATA_DIR": str(root / "data-2")}, logs, free_port(), name="serve-2")
        children.append(two)
        await warm_up(url2, users)
        wave = conversations(capture, users, tenant_id, args.personal, args.group, [url1, url2])
        phases.append(await run_phase("two replicas", capture, {url1: one, url2: two}, wave))

        two.stop()
        wave = conversations(capture, users, tenant_id, args.personal // 4, args.group // 4, [url1])
        phases.append(await shutdown_phase(capture, one, url1, wave, args.grace))

        print(f"# bench/load.py  model stand-in: {args.deltas} chunks {args.delay} s apart; logs in {logs}")
        for phase in phases:
            print_phase(phase, baseline)
        failed = any(p.lost or p.server_errors for p in phases)
        return 1 if failed else 0
    finally:
        for child in reversed(children):
            child.stop()
        capture.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personal", type=int, default=200)
    parser.add_argument("--group", type=int, default=40)
    parser.add_argument("--deltas", type=int, default=16, help="chunks the stand-in model streams per answer")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before each chunk")
    parser.add_argument("--grace", type=float, default=30.0, help="SHUTDOWN_GRACE_S of the servers")
    parser.add_argument("--database-url", help="PostgreSQL for the replicas' shared state (DATABASE_URL)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
