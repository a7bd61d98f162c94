"""Metrics and log context that every layer may use: stage timings, LLM counters, sync gauges,
and the correlation id that ties the log lines of one turn together. Imports nothing of ours."""

from observability.logs import CORRELATION_ID, CorrelationFilter, configure_logging, correlation_scope
from observability.metrics import STAGES, LLMMetrics, StageMetrics, SyncMetrics

__all__ = [
    "CORRELATION_ID",
    "STAGES",
    "CorrelationFilter",
    "LLMMetrics",
    "StageMetrics",
    "SyncMetrics",
    "configure_logging",
    "correlation_scope",
]
