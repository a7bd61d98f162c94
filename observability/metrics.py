"""Prometheus metrics shared by the layers, each set created on a registry it is given.

Counts and latencies only: no questions, user ids or document ids (the audit trail has those).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

STAGES = ("identity", "retrieval", "permission_check", "first_token", "generation", "delivery")
"""The stages of a turn, as the ``stage`` label of ``assistant_stage_seconds``:

* ``identity``: the asker (and, in a shared room, every member) resolved to a principal;
* ``retrieval``: query embedding and the permission-filtered index search;
* ``permission_check``: the answer-time check of the found documents' current permissions;
* ``first_token``: from the LLM request to its first streamed text;
* ``generation``: from the LLM request to the end of its stream;
* ``delivery``: sending the final reply (through the Bot Connector; the JSON body of ``/api/ask``).
"""

_STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)


class StageMetrics:
    """``assistant_stage_seconds{stage}``: time spent in each stage of a turn."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.seconds = Histogram(
            "assistant_stage_seconds",
            "Time spent in one stage of a turn (see observability.metrics.STAGES)",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=registry,
        )

    def observe(self, stage: str, seconds: float) -> None:
        self.seconds.labels(stage=stage).observe(seconds)

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        """Observe the time the ``with`` block took (also when it raised)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe(stage, time.perf_counter() - started)


class LLMMetrics:
    """Tokens in and out, and failed calls, of the model server."""

    ERROR_KINDS = ("timeout", "error")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("assistant_llm_requests", "Calls to the model server", registry=registry)
        self.prompt_tokens = Counter(
            "assistant_llm_prompt_tokens",
            "Prompt tokens sent to the model (the server's usage report; else ~4 characters a token)",
            registry=registry,
        )
        self.completion_tokens = Counter(
            "assistant_llm_completion_tokens",
            "Tokens the model generated (the server's usage report; else one a streamed chunk)",
            registry=registry,
        )
        self.errors = Counter(
            "assistant_llm_errors", "Failed model calls, by kind (timeout or error)", ["kind"], registry=registry
        )
        for kind in self.ERROR_KINDS:
            self.errors.labels(kind=kind)

    def used(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens.inc(max(0, prompt_tokens))
        self.completion_tokens.inc(max(0, completion_tokens))

    def failed(self, timeout: bool) -> None:
        self.errors.labels(kind="timeout" if timeout else "error").inc()


class SyncMetrics:
    """What the sync worker (``app.py sync --watch``) reports on its own ``/metrics``."""

    CHANGES = ("added", "updated", "deleted", "permission_only", "unchanged")

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        if registry is None:
            ProcessCollector(registry=self.registry)
        r = self.registry
        self.running = Gauge("assistant_sync_running", "1 while a sync or permission refresh runs", registry=r)
        self.runs = Counter("assistant_sync_runs", "Syncs finished, by mode and result", ["mode", "result"], registry=r)
        self.last_success = Gauge(
            "assistant_sync_last_success_timestamp_seconds", "When the last successful sync finished", registry=r
        )
        self.last_duration = Gauge("assistant_sync_last_duration_seconds", "How long the last sync took", registry=r)
        self.documents = Gauge(
            "assistant_sync_documents", "Documents the last sync handled, by change", ["change"], registry=r
        )
        self.skipped = Gauge("assistant_sync_skipped_documents", "Documents the last sync skipped", registry=r)
        self.rate = Gauge("assistant_sync_documents_per_second", "Documents per second in the last sync", registry=r)
        self.index_documents = Gauge(
            "assistant_sync_index_documents", "Documents in the index after the last sync", registry=r
        )
        self.index_chunks = Gauge("assistant_sync_index_chunks", "Chunks in the index after the last sync", registry=r)
        for mode in ("sync", "permissions"):
            for result in ("ok", "failed"):
                self.runs.labels(mode=mode, result=result)

    def started(self) -> None:
        self.running.set(1)

    def finished(self, report: Mapping[str, Any] | None, mode: str) -> None:
        """Record a finished run from its report (``SyncReport.as_dict``); ``None``: it failed early."""
        self.running.set(0)
        ok = report is not None and not report.get("error")
        self.runs.labels(mode=mode, result="ok" if ok else "failed").inc()
        if report is None:
            return
        self.last_duration.set(float(report.get("duration_s", 0.0)))
        for change in self.CHANGES:
            self.documents.labels(change=change).set(int(report.get(change, 0)))
        self.skipped.set(sum(dict(report.get("skipped") or {}).values()))
        self.rate.set(float(report.get("documents_per_second", 0.0)))
        self.index_documents.set(int(report.get("documents_in_index", 0)))
        self.index_chunks.set(int(report.get("chunks_in_index", 0)))
        if ok:
            self.last_success.set(float(report.get("finished") or time.time()))
