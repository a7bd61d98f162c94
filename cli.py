"""The command line: ``python app.py COMMAND``.

``serve`` (default) · ``sync [--status | --permissions-only | --watch]`` · ``ask --user USER
[--json] "question"`` · ``search --user USER [--json] [-k N] [--queries-file FILE] "query"`` ·
``audit verify`` · ``audit pseudonym USER`` · ``feedback [--json] [--since DATE]`` ·
``size --users N [--json]``. Each command builds only what it needs through
``composition``: ``sync`` the ingestion side, ``ask``/``search`` the serving side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import start_http_server

from access import DirectoryUnavailable, UnknownUser
from answering.answer import Outcome, answer_json
from answering.assistant import Room
from audit import install_redaction, verify_trail
from audit.postgres_trail import PostgresAuditTrail, verify_postgres_trail
from audit.trail import load_or_create_key, pseudonym
from composition import audit_settings, build_ingestion, build_serving, build_state, create_app
from observability import SyncMetrics, configure_logging, correlation_scope
from retrieval.ingest import SyncState
from retrieval.sync_report import format_report
from retrieval.sync_state import SyncRunning
from retrieval.types import Hit
from settings import Settings
from sizing.cli import add_size_parser, run_size
from state import StateStoreError

log = logging.getLogger("assistant")

NOISY_LOGGERS = ("httpx", "azure", "bm25s", "msal", "urllib3", "sentence_transformers")


async def run_sync(settings: Settings, permissions_only: bool = False, metrics: SyncMetrics | None = None) -> int:
    """One content sync (or, with ``permissions_only``, one permission refresh); prints the report."""
    mode = "permissions" if permissions_only else "sync"
    try:
        with SyncState(settings.data_dir / "sync").exclusive():
            return await _run_sync(settings, mode, metrics)
    except SyncRunning as exc:
        log.warning("sync skipped: %s", exc)
        print(f"sync skipped: {exc}", file=sys.stderr)
        return 1


async def _run_sync(settings: Settings, mode: str, metrics: SyncMetrics | None) -> int:
    permissions_only = mode == "permissions"
    ingestion = build_ingestion(settings)
    if metrics is not None:
        metrics.started()
    try:
        with correlation_scope(f"{mode}-{int(time.time())}"):
            try:
                if permissions_only:
                    report = await ingestion.ingestor.refresh_permissions(
                        ingestion.source, concurrency=settings.sync_concurrency
                    )
                else:
                    report = await ingestion.ingestor.run(ingestion.source)
            except Exception as exc:  # noqa: BLE001 - the report on disk says what was done; cursors are safe
                log.exception("sync failed")
                print(f"sync failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                if metrics is not None:
                    metrics.finished(None, mode)
                return 1
        if metrics is not None:
            metrics.finished(report.as_dict(), mode)
        print(report.summary(), flush=True)
        return 0
    finally:
        await ingestion.close()


async def watch_sync(settings: Settings) -> int:
    """Content sync every SYNC_INTERVAL_S, permission refresh every PERMISSIONS_REFRESH_INTERVAL_S;
    with SYNC_METRICS_PORT the progress gauges are served on that port's ``/metrics``."""
    metrics = SyncMetrics()
    if settings.sync_metrics_port:
        start_http_server(settings.sync_metrics_port, addr=settings.host, registry=metrics.registry)
        log.info("sync metrics on http://%s:%d/metrics", settings.host, settings.sync_metrics_port)
    next_sync = next_permissions = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_sync:
            await run_sync(settings, metrics=metrics)
            next_sync = time.monotonic() + settings.sync_interval_s
            next_permissions = max(next_permissions, time.monotonic() + settings.permissions_refresh_interval_s)
        elif now >= next_permissions:
            await run_sync(settings, permissions_only=True, metrics=metrics)
            next_permissions = time.monotonic() + settings.permissions_refresh_interval_s
        await asyncio.sleep(max(1.0, min(next_sync, next_permissions) - time.monotonic()))


def sync_status(settings: Settings, as_json: bool = False) -> int:
    report = SyncState(settings.data_dir / "sync").load_report()
    if report is None:
        print("no sync has run yet")
        return 1
    print(json.dumps(report, indent=1, ensure_ascii=False) if as_json else format_report(report))
    return 0


def hit_json(hit: Hit) -> dict[str, Any]:
    """One search hit as ``app.py search --json`` prints it."""
    chunk = hit.chunk
    return {
        "item_id": chunk.doc.item_id,
        "drive_id": chunk.doc.drive_id,
        "site_id": chunk.doc.site_id,
        "webUrl": chunk.doc.web_url,
        "title": chunk.doc.title,
        "headings": list(chunk.headings),
        "score": round(hit.score, 6),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 4),
        "lexical_score": None if hit.lexical_score is None else round(hit.lexical_score, 4),
        "snippet": chunk.text[:300],
    }


async def run_search(settings: Settings, user: str, queries: list[str], k: int, as_json: bool) -> int:
    serving = build_serving(settings)
    try:
        serving.live_index.refresh()
        for query in queries:
            try:
                hits = await serving.assistant.search(user, query, k)
                error = None
            except (UnknownUser, DirectoryUnavailable) as exc:
                hits, error = [], f"{type(exc).__name__}: {exc}"
            if as_json:
                record: dict[str, Any] = {"query": query, "user": user, "hits": [hit_json(h) for h in hits]}
                if error:
                    record["error"] = error
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                print(f"# {query}" + (f"  ({error})" if error else ""))
                for rank, hit in enumerate(hits, 1):
                    doc = hit.chunk.doc
                    print(f"{rank:2}. {hit.score:.4f}  {doc.title}  [{doc.item_id}]  {doc.web_url}")
                    print(f"      {hit.chunk.text[:160]}")
        return 0
    finally:
        await serving.close()


async def run_ask(settings: Settings, user: str, question: str, as_json: bool) -> int:
    serving = build_serving(settings)
    try:
        serving.live_index.refresh()
        started = time.perf_counter()
        answer = await serving.assistant.answer(user, question, Room("cli"))
        if as_json:
            data = answer_json(answer, "")
            data["latency_s"] = round(time.perf_counter() - started, 3)
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(answer.text)
            for c in answer.citations:
                print(f"[{c.number}] {c.title} — {c.url}")
        return 0 if answer.outcome in (Outcome.ANSWERED, Outcome.NO_MATCH) else 2
    finally:
        await serving.close()


def run_audit(settings: Settings, action: str, user: str | None) -> int:
    directory = settings.audit_directory
    key = settings.audit_key_bytes or load_or_create_key(directory)
    if action == "pseudonym":
        print(pseudonym(key, "user", user or ""))
        return 0
    if settings.database_url is not None:
        return asyncio.run(_verify_postgres_audit(settings, key))
    result = verify_trail(directory, key)
    for problem in result.problems:
        print(f"PROBLEM {problem}")
    state = "intact" if result.ok else f"NOT intact ({len(result.problems)} problems)"
    print(f"audit trail {state}: {result.records} records in {result.files} files; head {result.head}")
    return 0 if result.ok else 1


async def _verify_postgres_audit(settings: Settings, key: bytes) -> int:
    """The one chain all replicas write in PostgreSQL, and what this host's spool still holds."""
    state, db = build_state(settings)
    assert db is not None
    try:
        result = await verify_postgres_trail(db, key)
    except StateStoreError as error:
        print(f"cannot read the audit trail: {error}", file=sys.stderr)
        return 2
    finally:
        await state.aclose()
    for problem in result.problems:
        print(f"PROBLEM {problem}")
    verdict = "intact" if result.ok else f"NOT intact ({len(result.problems)} problems)"
    pending = PostgresAuditTrail(audit_settings(settings), db).pending()
    waiting = f"; {pending} records wait in this host's spool" if pending else ""
    print(f"audit trail {verdict}: {result.records} records in PostgreSQL; head {result.head}{waiting}")
    return 0 if result.ok else 1


async def run_feedback(settings: Settings, since: datetime | None, as_json: bool) -> int:
    """Ratings of answers (Teams and web part) and the like/dislike ratio."""
    state, _ = build_state(settings)
    try:
        ratings = await state.feedback.list(since)
    except StateStoreError as error:
        print(f"cannot read feedback: {error}", file=sys.stderr)
        return 2
    finally:
        await state.aclose()
    likes = sum(r.reaction == "like" for r in ratings)
    ratio = likes / len(ratings) if ratings else None
    if as_json:
        rows = [
            {
                "time": r.time.isoformat(timespec="seconds"),
                "reaction": r.reaction,
                "comment": r.comment,
                "answer_id": r.answer_id,
                "cited": list(r.cited),
                "surface": r.surface,
                "asker": r.asker,
            }
            for r in ratings
        ]
        print(json.dumps({"ratings": rows, "likes": likes, "dislikes": len(ratings) - likes, "like_ratio": ratio}))
        return 0
    for r in ratings:
        comment = f"  “{r.comment}”" if r.comment else ""
        print(
            f"{r.time:%Y-%m-%d %H:%M}  {r.reaction:<7}  {r.surface:<5}  answer {r.answer_id}  {', '.join(r.cited)}{comment}"
        )
    share = f"{ratio:.0%} liked" if ratio is not None else "no ratings"
    print(f"{len(ratings)} ratings: {likes} like, {len(ratings) - likes} dislike ({share})")
    return 0


def _date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="app.py", description=__doc__)
    sub = root.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP server (default)")
    sync = sub.add_parser("sync", help="one full or incremental SharePoint sync, then exit")
    sync.add_argument("--status", action="store_true", help="show the last sync report")
    sync.add_argument("--json", action="store_true", help="with --status: the report as JSON")
    sync.add_argument(
        "--permissions-only", action="store_true", help="re-read permissions of indexed documents, re-stamp ACLs"
    )
    sync.add_argument(
        "--watch",
        action="store_true",
        help="keep running: sync every SYNC_INTERVAL_S, permissions every PERMISSIONS_REFRESH_INTERVAL_S",
    )
    ask = sub.add_parser("ask", help="answer one question as USER")
    ask.add_argument("--user", required=True, help="Entra object id or user principal name")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("question")
    search = sub.add_parser("search", help="ranked permitted chunks for USER (no LLM)")
    search.add_argument("--user", required=True, help="Entra object id or user principal name")
    search.add_argument("--json", action="store_true")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--queries-file", type=Path, help="one query per line; JSON Lines out, in order")
    search.add_argument("query", nargs="?")
    audit = sub.add_parser("audit", help="check the audit trail, or compute a user's pseudonym")
    audit.add_argument("action", choices=["verify", "pseudonym"])
    audit.add_argument("user", nargs="?", help="for pseudonym: the Entra object id")
    feedback = sub.add_parser("feedback", help="list ratings of answers and the like/dislike ratio")
    feedback.add_argument("--json", action="store_true")
    feedback.add_argument("--since", type=_date, help="only ratings from this date (YYYY-MM-DD) on")
    add_size_parser(sub)
    return root


def main(argv: list[str] | None = None) -> int:
    commands = parser()
    args = commands.parse_args(argv)
    if args.command == "size":  # arithmetic only: needs no settings
        return run_size(args)
    try:
        settings = Settings()
    except Exception as exc:  # noqa: BLE001 - report all settings problems at once, no traceback
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, sys.stderr)
    install_redaction()
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    command = args.command or "serve"
    if command == "serve":
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
        return 0
    if command == "sync":
        if args.status:
            return sync_status(settings, args.json)
        if args.watch:
            return asyncio.run(watch_sync(settings))
        return asyncio.run(run_sync(settings, permissions_only=args.permissions_only))
    if command == "audit":
        if args.action == "pseudonym" and not args.user:
            commands.error("audit pseudonym needs USER (an Entra object id)")
        return run_audit(settings, args.action, args.user)
    if command == "feedback":
        return asyncio.run(run_feedback(settings, args.since, args.json))
    if command == "ask":
        return asyncio.run(run_ask(settings, args.user, args.question, args.json))
    if command == "search":
        if args.queries_file is not None:
            lines = args.queries_file.read_text(encoding="utf-8").splitlines()
            queries = [line.strip() for line in lines if line.strip()]
        elif args.query:
            queries = [args.query]
        else:
            commands.error("search needs a query or --queries-file")
        return asyncio.run(run_search(settings, args.user, queries, args.k, args.json))
    commands.error(f"unknown command {command}")
    return 2
