"""A real PostgreSQL server for tests, from Debian's ``postgresql`` package, on a loopback port.

``PostgresServer.create()`` runs ``initdb`` in a fresh temporary directory and starts ``postgres``
on 127.0.0.1 (trust authentication: only this machine can reach it, and only for the test run).
As root, both run as the ``postgres`` user through ``runuser`` (PostgreSQL refuses to run as
root), and the directory is handed to that user. A watcher process stops the server and deletes
its directory when the process that started it is gone, also after ``kill -9``;
:meth:`PostgresServer.destroy` does both at once. :meth:`stop` and :meth:`start` stop and restart it on the same port
(the tests' database outage).

The binaries are looked up in ``PG_BIN``, then ``/usr/lib/postgresql/*/bin`` (newest first), then
``PATH``. ``.ci/run`` installs the package with apt when they are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import REPO, free_port


def pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``postgres``, or ``None`` when PostgreSQL is missing."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    which = shutil.which("initdb")
    candidates.append(str(Path(which).parent) if which else "")
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    return None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @classmethod
    def create(cls) -> PostgresServer:
        bin_dir = pg_bin()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)")
        root = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
        os.chmod(root, 0o700)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        server = cls(bin_dir, root, free_port())
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        server.start()
        subprocess.Popen(  # noqa: S603 - our own watcher
            [sys.executable, "-m", "tests.pg_server", str(os.getpid()), str(server.data_dir)],
            cwd=REPO,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return server

    def start(self, timeout: float = 60) -> None:
        log = open(self.root / "postgres.log", "ab")  # noqa: SIM115 - the server's for its lifetime
        args = [
            str(self.bin_dir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-k",
            str(self.root),
            "-c",
            "fsync=off",  # test data: speed over durability
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]
        self.process = subprocess.Popen(
            _as_postgres(args), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False
            )
            if ready.returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start:\n{(self.root / 'postgres.log').read_text()[-3000:]}")

    def stop(self) -> None:
        """Fast shutdown (connections are cut, as when the database host goes away)."""
        if self.process is None:
            return
        _signal_postmaster(self.data_dir, signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            _signal_postmaster(self.data_dir, signal.SIGQUIT)
            self.process.wait(10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(self.bin_dir / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, self.url(database)],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)


def _signal_postmaster(data_dir: Path, sig: int) -> None:
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, sig)
    except (FileNotFoundError, IndexError, ValueError, ProcessLookupError):
        pass


def _watch(parent: int, data_dir: Path) -> None:
    """Stop the server once ``parent`` is gone."""
    while True:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            _signal_postmaster(data_dir, signal.SIGINT)
            for _ in range(50):  # postgres removes its pid file when it has stopped
                if not (data_dir / "postmaster.pid").exists():
                    break
                time.sleep(0.2)
            _signal_postmaster(data_dir, signal.SIGQUIT)
            time.sleep(1)
            shutil.rmtree(data_dir.parent, ignore_errors=True)
            return
        time.sleep(1.0)


if __name__ == "__main__":
    _watch(int(sys.argv[1]), Path(sys.argv[2]))
