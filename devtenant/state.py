"""Mutable per-app state and the `web.AppKey`s it lives under."""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .config import DevTenantConfig
from .directory import Directory
from .manifest import Manifest, ManifestError, load_manifest
from .shapes import validate_readers
from .store import FileStore
from .tokens import TokenService

REQUEST_LOG_LIMIT = 5000


@dataclass
class Fault:
    """An injected failure for the next `remaining` requests whose path matches."""

    pattern: re.Pattern[str]
    status: int
    retry_after: float | None
    remaining: int
    method: str | None = None
    code: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "path_regex": self.pattern.pattern,
            "status": self.status,
            "retry_after": self.retry_after,
            "count": self.remaining,
            "method": self.method,
            "code": self.code,
        }


@dataclass
class TenantState:
    """Seed-derived data plus the knobs the admin API turns."""

    manifest: Manifest
    directory: Directory
    store: FileStore
    epoch: int = 1
    down: bool = False
    faults: list[Fault] = field(default_factory=list)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT))
    download_secret: bytes = field(default_factory=lambda: os.urandom(32))

    @classmethod
    def load(cls, config: DevTenantConfig) -> TenantState:
        manifest = load_manifest(config.seed_dir)
        directory = Directory(manifest)
        store = FileStore(manifest, directory.group_ids())
        for drive in store.drives.values():
            for item in drive.items.values():
                try:
                    validate_readers(directory, item.readers or ())
                except ValueError as exc:
                    raise ManifestError(f"{store.path_of(item)}: {exc}") from exc
        return cls(manifest, directory, store)

    def reset(self, config: DevTenantConfig) -> None:
        """Back to the seed (re-read from disk); outstanding delta tokens expire."""
        fresh = TenantState.load(config)
        self.manifest, self.directory, self.store = fresh.manifest, fresh.directory, fresh.store
        self.epoch += 1
        self.down = False
        self.faults.clear()
        self.requests.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request (its count is consumed)."""
        for fault in self.faults:
            if fault.method and fault.method.upper() != method.upper():
                continue
            if fault.pattern.search(path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None


CONFIG_KEY: web.AppKey[DevTenantConfig] = web.AppKey("devtenant_config", DevTenantConfig)
STATE_KEY: web.AppKey[TenantState] = web.AppKey("devtenant_state", TenantState)
TOKENS_KEY: web.AppKey[TokenService] = web.AppKey("devtenant_tokens", TokenService)
