"""Configuration of a dev tenant server and the connection file it publishes."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SEED_DIR: Path = Path(__file__).resolve().parent / "seed"
CONNECTION_FILE_NAME: str = "devtenant.json"
GRAPH_RESOURCE: str = "https://graph.microsoft.com"
GRAPH_APP_ID: str = "00000003-0000-0000-c000-000000000000"
GRAPH_SCOPE: str = f"{GRAPH_RESOURCE}/.default"


@dataclass(frozen=True)
class DevTenantConfig:
    """Everything `create_devtenant_app` needs.

    `url` is the public base URL (``https://127.0.0.1:PORT``); it is only known
    once the listening socket is bound, which is why the server binds first and
    builds the app afterwards.
    """

    state_dir: Path
    url: str
    seed_dir: Path = DEFAULT_SEED_DIR
    page_size: int = 5

    @property
    def graph_base_url(self) -> str:
        return f"{self.url}/v1.0"

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "ca.pem"


def is_loopback_host(host: str) -> bool:
    """True when `host` names a loopback interface (the only kind we bind)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def base_url_for(host: str, port: int) -> str:
    """``https://host:port`` with IPv6 literals bracketed."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"https://{host}:{port}"


def write_connection_file(state_dir: Path, info: Mapping[str, Any]) -> Path:
    """Atomically write ``state_dir/devtenant.json``."""
    target = state_dir / CONNECTION_FILE_NAME
    tmp = state_dir / f".{CONNECTION_FILE_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(dict(info), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def load_connection_info(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Return the connection info of a running dev tenant.

    `source` is the parsed ``devtenant.json`` mapping, the path of that file, or
    the state directory that holds it.
    """
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        path = path / CONNECTION_FILE_NAME
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
