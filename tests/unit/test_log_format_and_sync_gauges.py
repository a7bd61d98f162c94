"""JSON log lines with the correlation id, LOG_FORMAT=text, and the sync worker's gauges."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client import generate_latest

from observability import SyncMetrics, configure_logging, correlation_scope


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_the_correlation_id_also_from_tasks_started_in_the_scope(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", out)
    log = logging.getLogger("bot.test")

    async def background() -> None:
        await asyncio.sleep(0)
        log.info("from the background: %s", "ä")

    async def turn() -> None:
        with correlation_scope("c0ffee-1234") as correlation_id:
            log.info("in the request")
            task = asyncio.create_task(background())
        assert correlation_id == "c0ffee-1234"
        await task
        log.warning("after the request")

    asyncio.run(turn())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["in the request", "from the background: ä", "after the request"]
    assert [line["correlation_id"] for line in lines] == ["c0ffee-1234", "c0ffee-1234", "-"]
    assert {"time", "level", "logger"} <= set(lines[0]) and lines[2]["level"] == "WARNING"
    assert lines[0]["logger"] == "bot.test"


def test_text_format_names_the_correlation_id(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging("WARNING", "text", out)
    with correlation_scope("abc12345"):
        logging.getLogger("x").warning("hello")
        logging.getLogger("x").info("not shown")
    assert out.getvalue().count("\n") == 1 and "WARNING x [abc12345]: hello" in out.getvalue()


def test_sync_gauges_follow_the_reports() -> None:
    metrics = SyncMetrics()
    metrics.started()
    text = generate_latest(metrics.registry).decode()
    assert "assistant_sync_running 1.0" in text
    report = {
        "added": 5,
        "updated": 2,
        "deleted": 1,
        "skipped": {"too_large": 2, "unsupported": 1},
        "documents_in_index": 40,
        "chunks_in_index": 400,
        "duration_s": 12.5,
        "documents_per_second": 0.9,
        "finished": 1_700_000_000.0,
    }
    metrics.finished(report, "sync")
    metrics.started()
    metrics.finished(None, "permissions")  # failed before it had a report
    text = generate_latest(metrics.registry).decode()
    assert "assistant_sync_running 0.0" in text
    assert 'assistant_sync_documents{change="added"} 5.0' in text
    assert "assistant_sync_skipped_documents 3.0" in text
    assert "assistant_sync_index_chunks 400.0" in text
    assert "assistant_sync_last_success_timestamp_seconds 1.7e+09" in text
    assert 'assistant_sync_runs_total{mode="sync",result="ok"} 1.0' in text
    assert 'assistant_sync_runs_total{mode="permissions",result="failed"} 1.0' in text
    metrics.finished({**report, "error": "Graph down", "finished": 1_800_000_000.0}, "sync")
    text = generate_latest(metrics.registry).decode()
    assert "assistant_sync_last_success_timestamp_seconds 1.7e+09" in text, "a failed sync is no success"
