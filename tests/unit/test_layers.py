"""The architecture holds: import-linter's contracts (pyproject.toml) and module size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = (
    "access",
    "answering",
    "audit",
    "bot",
    "caching",
    "observability",
    "connectors",
    "retrieval",
    "state",
    "devstack",
    "devtenant",
)
PROSE = {"devtenant/seed/texts.py"}  # document texts, not code
MAX_LINES = 400


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout, result.stdout[-2000:]


def test_no_module_is_too_long() -> None:
    files = [REPO / name for name in ("app.py", "cli.py", "composition.py", "settings.py")]
    for package in PACKAGES:
        files.extend((REPO / package).rglob("*.py"))
    files.extend((REPO / "tests").rglob("*.py"))
    long = {
        str(path.relative_to(REPO)): n
        for path in files
        if str(path.relative_to(REPO)) not in PROSE and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these along a real seam: {long}"
