"""The aiohttp application and the HTTPS server around it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote

from aiohttp import web

from . import graph
from .admin import add_admin_routes, loopback_only
from .auth import add_login_routes, check_bearer
from .browse import add_browse_routes
from .config import (
    CONNECTION_FILE_NAME,
    DEFAULT_SEED_DIR,
    DevTenantConfig,
    base_url_for,
    is_loopback_host,
    write_connection_file,
)
from .graph_common import GraphError, error_response
from .graph_files import download
from .pki import PkiFiles, ensure_pki
from .state import CONFIG_KEY, STATE_KEY, TOKENS_KEY, TenantState
from .tokens import TokenService

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _kind(path: str) -> str:
    if path == "/v1.0" or path.startswith("/v1.0/"):
        return "graph"
    if path.startswith("/_download/"):
        return "download"
    if path.startswith("/sites/"):
        return "web"
    return "login"


@web.middleware
async def graph_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request log, outage switch, injected faults, bearer auth and Graph error rendering."""
    if request.path.startswith("/_admin"):
        return await handler(request)
    state = request.app[STATE_KEY]
    kind = _kind(request.path)
    path = unquote(request.rel_url.raw_path)
    entry: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "method": request.method,
        "path": path,
        "query": request.rel_url.query_string,
        "kind": kind,
        "status": 500,
    }
    state.requests.append(entry)
    try:
        if kind in ("graph", "download") and state.down:
            raise GraphError(503, "serviceNotAvailable", "The service is temporarily unavailable (devtenant is down).")
        target = f"{path}?{entry['query']}" if entry["query"] else path
        fault = state.take_fault(request.method, target)
        if fault is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(
                    int(fault.retry_after) if fault.retry_after == int(fault.retry_after) else fault.retry_after
                )
            raise GraphError(
                fault.status, fault.code, f"Injected fault ({fault.status}) by devtenant.", headers=headers
            )
        if kind == "graph":
            check_bearer(request)
        response = await handler(request)
    except GraphError as error:
        response = error_response(request, error)
    except web.HTTPException as exc:
        entry["status"] = exc.status
        raise
    entry["status"] = response.status
    return response


async def _root(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG_KEY]
    return web.json_response({"service": "devtenant", "url": config.url, "graph_base_url": config.graph_base_url})


def create_devtenant_app(config: DevTenantConfig) -> web.Application:
    """Build the dev tenant application (PKI files are created in the state dir if missing)."""
    ensure_pki(config.state_dir)
    state = TenantState.load(config)
    app = web.Application(middlewares=[loopback_only, graph_gate], client_max_size=64 * 1024 * 1024)
    app[CONFIG_KEY] = config
    app[STATE_KEY] = state
    app[TOKENS_KEY] = TokenService.from_state_dir(config.state_dir, config.url, state.manifest.tenant_id)
    app.router.add_get("/", _root)
    add_admin_routes(app)
    add_browse_routes(app)
    app.router.add_get("/_download/{token}", download)
    app.router.add_route("*", "/v1.0{tail:.*}", graph.dispatch)
    add_login_routes(app)
    return app


def _server_ssl_context(files: PkiFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_cert, files.server_key)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    watching_ppid = os.getppid() == pid
    while not stop.is_set():
        if not _process_alive(pid) or (watching_ppid and os.getppid() != pid):
            stop.set()
            return
        await asyncio.sleep(0.5)


async def serve(
    state_dir: Path,
    seed_dir: Path = DEFAULT_SEED_DIR,
    host: str = "127.0.0.1",
    port: int = 0,
    page_size: int = 5,
    parent_pid: int | None = None,
    out: TextIO = sys.stdout,
) -> None:
    """Run the dev tenant until SIGTERM/SIGINT (or until `parent_pid` exits)."""
    if not is_loopback_host(host):
        raise ValueError(f"refusing to bind non-loopback host {host!r}")
    bind_host = "127.0.0.1" if host == "localhost" else host.strip("[]")
    state_dir = state_dir.resolve()
    files = ensure_pki(state_dir)
    sock = _bind(bind_host, port)
    url = base_url_for(bind_host, sock.getsockname()[1])
    config = DevTenantConfig(state_dir=state_dir, url=url, seed_dir=seed_dir.resolve(), page_size=page_size)
    app = create_devtenant_app(config)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.SockSite(runner, sock, ssl_context=_server_ssl_context(files)).start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(_watch_parent(parent_pid, stop)) if parent_pid else None

    manifest = app[STATE_KEY].manifest
    info = {
        "url": url,
        "authority_host": url,
        "graph_base_url": config.graph_base_url,
        "tenant_id": manifest.tenant_id,
        "client_id": manifest.client_id,
        "client_secret": manifest.client_secret,
        "ca_file": str(files.ca_cert),
        "pid": os.getpid(),
        "state_dir": str(state_dir),
        "seed_dir": str(config.seed_dir),
    }
    conn_file = write_connection_file(state_dir, info)
    print(f"DEVTENANT READY {url}", file=out, flush=True)
    try:
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        try:
            if conn_file.exists() and f'"pid": {os.getpid()},' in conn_file.read_text(encoding="utf-8"):
                conn_file.unlink()
        except OSError:
            pass
        await runner.cleanup()


__all__ = ["CONNECTION_FILE_NAME", "create_devtenant_app", "serve"]
