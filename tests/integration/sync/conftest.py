"""The sync tests' dev tenant, started once for the package, and a fresh DATA_DIR per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.processes import DevTenant, start_devtenant
from tests.integration.sync.support import FILES, MANIFEST, admin


@pytest.fixture(scope="package")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTenant]:
    root = tmp_path_factory.mktemp("sync-tenant")
    seed = root / "seed"
    (seed / "docs").mkdir(parents=True)
    for name, data in FILES.items():
        (seed / "docs" / name).write_bytes(data)
    (seed / "tenant.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    dev = start_devtenant(root / "state", root / "logs", page_size=2, seed_dir=seed)
    yield dev
    dev.child.stop()


@pytest.fixture
def env(tenant: DevTenant, tmp_path: Path) -> dict[str, str]:
    admin(tenant, "POST", "reset")
    return {
        **tenant.env(),
        "DATA_DIR": str(tmp_path / "data"),
        "SHAREPOINT_SITES": "",
        "GRAPH_RETRY_BASE_DELAY_S": "0.2",
        "LOG_LEVEL": "INFO",
    }
