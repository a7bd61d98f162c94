"""The CLI contract (search/ask/sync --status) and the health endpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from tests.integration.conftest import Running, search_json


def test_search_json_hit_shape(running: Running, manifest: dict[str, Any], tmp_path: Path) -> None:
    [result] = search_json(running, "anna.schmidt@contoso.dev", ["Hotelobergrenze pro Nacht"], tmp_path, k=3)
    assert len(result["hits"]) == 3
    hit = result["hits"][0]
    assert {"item_id", "webUrl", "title", "score", "snippet"} <= set(hit)
    assert hit["webUrl"].endswith("Reisekostenrichtlinie.pdf")
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_search_queries_file_keeps_order_and_count(running: Running, tmp_path: Path) -> None:
    queries = ["Urlaub", "password length", "Kantine Öffnungszeiten", "deployment freeze", "phishing"]
    results = search_json(running, "ben.carter@contoso.dev", queries, tmp_path)
    assert [r["query"] for r in results] == queries


def test_search_by_object_id(running: Running, users: dict[str, Any], tmp_path: Path) -> None:
    [result] = search_json(running, users["clara.weber@contoso.dev"]["id"], ["Urlaubsanspruch"], tmp_path)
    assert result["hits"]


def test_ask_cli_json(running: Running) -> None:
    result = running.cli("ask", "--user", "dana.mueller@contoso.dev", "--json", "Wie viele Urlaubstage gibt es?")
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert answer["outcome"] == "answered"
    assert answer["citations"]


def test_sync_status_reports_last_run(running: Running) -> None:
    table = running.cli("sync", "--status")
    assert "unknown permission shapes" in table.stdout and "documents per second" in table.stdout
    result = running.cli("sync", "--status", "--json")
    report = json.loads(result.stdout)
    assert report["added"] >= 12
    assert report["unknown_permission_items"] == 1
    assert {"extraction", "embedding"} <= set(report["timings_s"])


def test_incremental_sync_changes_nothing_when_nothing_changed(running: Running) -> None:
    result = running.cli("sync")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(running.cli("sync", "--status", "--json").stdout)
    assert (report["added"], report["updated"], report["deleted"], report["permission_only"]) == (0, 0, 0, 0)


def test_health_and_ready(running: Running) -> None:
    assert requests.get(f"{running.app_url}/healthz", timeout=5).json()["status"] == "ok"
    ready = requests.get(f"{running.app_url}/readyz", timeout=5).json()
    assert ready["ready"] and ready["chunks"] > 0


def test_dev_chat_page_and_demo_users(running: Running) -> None:
    page = requests.get(f"{running.app_url}/", timeout=5)
    assert page.status_code == 200 and 'src="static/webpart.js"' in page.text
    bundle = requests.get(f"{running.app_url}/static/webpart.js", timeout=5)
    assert bundle.status_code == 200 and "api/ask" in bundle.text  # the web part's chat component
    users = requests.get(f"{running.app_url}/api/demo-users", timeout=10).json()
    assert {u["userPrincipalName"] for u in users} >= {"anna.schmidt@contoso.dev", "ben.carter@contoso.dev"}


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, _, value = line.rpartition(" ")
        found = sample[len(name) :].strip("{}")
        if ",".join(sorted(found.split(","))) == wanted:
            return float(value)
    return 0.0


def test_metrics_count_answers_by_outcome(running: Running) -> None:
    before = requests.get(f"{running.app_url}/metrics", timeout=5).text
    running.ask("nobody@contoso.dev", "Wie hoch ist die Hotelobergrenze?")
    after = requests.get(f"{running.app_url}/metrics", timeout=5)
    assert after.status_code == 200 and after.headers["Content-Type"].startswith("text/plain")
    labels = {"outcome": "unknown_user", "room": "web"}
    assert (
        _metric(after.text, "assistant_answers_total", **labels)
        == _metric(before, "assistant_answers_total", **labels) + 1
    )
    assert _metric(after.text, "assistant_index_chunks") > 0
    assert "nobody@contoso.dev" not in after.text and "Hotelobergrenze" not in after.text
