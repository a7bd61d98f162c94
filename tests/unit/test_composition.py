"""The composition root builds each side with only what it needs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from composition import build_ingestion, build_serving
from connectors.llm import OpenAICompatibleModel
from settings import Settings

TENANT = "0b3b6f0e-0000-4000-8000-000000000001"


def _settings(data: Path) -> Settings:
    # A Graph configuration nothing answers at: building must not call out.
    return Settings(
        azure_tenant_id=TENANT,
        azure_client_id="client",
        azure_client_secret="secret",  # type: ignore[arg-type]
        azure_authority_host="https://127.0.0.1:9",
        graph_base_url="https://127.0.0.1:9/v1.0",
        data_dir=data,
    )


def test_ingestion_builds_no_llm_client_and_writes_no_audit_key(tmp_path: Path) -> None:
    ingestion = build_ingestion(_settings(tmp_path))
    try:
        assert not any(isinstance(value, OpenAICompatibleModel) for value in vars(ingestion).values())
        assert not (tmp_path / "audit").exists(), "sync must not create the audit trail or its key"
        assert ingestion.source is not None and ingestion.ingestor is not None
    finally:
        asyncio.run(ingestion.close())


def test_serving_builds_the_assistant_with_its_audit_trail(tmp_path: Path) -> None:
    serving = build_serving(_settings(tmp_path))
    try:
        assert serving.assistant.audit is not None
        assert (tmp_path / "audit" / ".key").is_file()
        state = {"backend": "sqlite", "available": True}
        assert serving.readiness() == (False, {"snapshot": None, "chunks": 0, "state": state})
    finally:
        asyncio.run(serving.close())
