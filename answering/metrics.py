"""Prometheus metrics about answers, owned by one registry per app (no global state).

Counts and latencies only: no questions, user ids or document ids (the audit trail has those)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from observability import LLMMetrics, StageMetrics


class AnswerMetrics:
    """What ``GET /metrics`` reports about answering: outcomes, time per stage (``stages``) and the
    model server's tokens and failures (``llm``, filled in by the LLM client)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        if registry is None:
            ProcessCollector(registry=self.registry)  # process_resident_memory_bytes and friends
        self.answers = Counter(
            "assistant_answers", "Answers given, by outcome and room kind", ["outcome", "room"], registry=self.registry
        )
        self.latency = Histogram(
            "assistant_answer_seconds",
            "Time from question to final answer",
            ["room"],
            buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
            registry=self.registry,
        )
        self.withheld = Counter(
            "assistant_withheld_documents",
            "Matching documents not used: room (not every member may read) or revoked (answer-time check)",
            ["reason"],
            registry=self.registry,
        )
        for reason in ("room", "revoked"):
            self.withheld.labels(reason=reason)  # exported as 0 before the first one
        self.index_chunks = Gauge(
            "assistant_index_chunks", "Chunks in the loaded index snapshot", registry=self.registry
        )
        self.checks = Counter(
            "assistant_answer_checks",
            "Grounding check verdicts on model answers: passed, ungrounded, empty, missing_kind, refusal,"
            " truncated, llm_down; and whether the shown text was quoted from the passages instead",
            ["result", "extractive"],
            registry=self.registry,
        )
        self.followups = Counter(
            "assistant_private_followups", "Private answers attached to shared-room answers", registry=self.registry
        )
        self.stages = StageMetrics(self.registry)
        self.llm = LLMMetrics(self.registry)

    def observe(
        self,
        room: str,
        outcome: str,
        latency_s: float,
        withheld_reasons: list[str],
        followup: bool,
        grounding: str = "",
        extractive: bool = False,
    ) -> None:
        self.answers.labels(outcome=outcome, room=room).inc()
        if grounding:
            self.checks.labels(result=grounding, extractive=str(extractive).lower()).inc()
        self.latency.labels(room=room).observe(latency_s)
        for reason in withheld_reasons:
            self.withheld.labels(reason=reason).inc()
        if followup:
            self.followups.inc()
