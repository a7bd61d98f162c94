"""The web part's own test tiers, run by `make test`: the component tests (Vitest), the committed
dev bundle rebuilt byte for byte, the browser tests (Playwright with Debian's Chromium) against the
running app in dev mode, the schemathesis fuzzing of /openapi.json, and the .sppkg build.

Node 22 comes from webpart/tools/node22.sh and the packages from `make webpart-deps` (a
dependency of `make test`). Chromium: `apt-get install chromium` (.ci/run does it when missing).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.processes import REPO, free_port, start_app
from tests.integration.conftest import Running

WEBPART = REPO / "webpart"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def node_env() -> dict[str, str]:
    if not (WEBPART / "node_modules" / ".installed").exists():
        pytest.fail("the web part's packages are not installed: run `make webpart-deps` (part of `make test`)")
    node_bin = subprocess.run(
        [str(WEBPART / "tools" / "node22.sh")], capture_output=True, text=True, check=True, timeout=600
    ).stdout.strip()
    return {**os.environ, "PATH": f"{node_bin}:{os.environ['PATH']}"}


def _node(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=WEBPART, env=env, capture_output=True, text=True, timeout=timeout)


def test_component_tests_pass(node_env: dict[str, str]) -> None:
    result = _node(node_env, "npx", "vitest", "run")
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output[-4000:]
    assert re.search(r"Tests\s+\d+ passed", output), output[-2000:]


def test_committed_dev_bundle_is_what_the_sources_build(node_env: dict[str, str]) -> None:
    result = _node(node_env, "node", "tools/dev-bundle.mjs", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def e2e_app(running: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app of its own on the running stack's index, so that the test can stop it."""
    child, url = start_app(running.env, tmp_path_factory.mktemp("e2e-app"), free_port(), name="e2e-app")
    try:
        yield child, url
    finally:
        child.stop()


def test_browser_end_to_end(
    node_env: dict[str, str],
    running: Running,
    e2e_app: Any,
    secrets: list[dict[str, Any]],
    users: dict[str, Any],
    tmp_path: Path,
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run installs it)")
    child, url = e2e_app
    secret = next(s for s in secrets if s["phrase"] == "AURORA-FALKE-2291")
    reader = secret["readers_upn"][0]
    question = "Wie lautet das Codewort zu Projekt Nordlicht?"
    control = requests.post(f"{url}/api/ask", json={"question": question, "user": reader}, timeout=900).json()
    title = next(c["title"] for c in control["citations"] if c["item_id"] == secret["item"])
    outsider = next(
        upn for upn, u in users.items() if u.get("department") != users[reader].get("department") and upn != reader
    )
    screenshot = Path(os.environ.get("WEBPART_SCREENSHOT", str(tmp_path / "webpart-de.png")))
    env = {
        **node_env,
        "APP_URL": url,
        "SECRET_TITLE": title,
        "SECRET_PHRASE": secret["phrase"],
        "SECRET_QUESTION": question,
        "OUTSIDER": outsider,
        "SCREENSHOT": str(screenshot),
    }
    process = subprocess.Popen(
        ["node", "e2e/run.mjs"], cwd=WEBPART, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    reports: dict[str, dict[str, Any]] = {}
    try:
        for line in process.stdout:
            event = json.loads(line)
            if event.get("stop"):
                child.stop()
                process.stdin.write("stopped\n")
                process.stdin.flush()
            else:
                reports[event["scenario"]] = event
        assert process.wait(timeout=60) == 0, f"browser test failed after {list(reports)}"
    finally:
        if process.poll() is None:
            process.kill()
    assert list(reports) == ["stream", "citation", "keyboard", "trimming", "server-stopped"]
    stream = reports["stream"]
    print(f"first streamed token in the browser: {stream['firstTokenMs']} ms, answer {stream['totalMs']} ms")
    # A checked answer is released sentence by sentence (docs/answer-quality.md), so a one-sentence
    # answer arrives as one piece; delta-by-delta rendering is Chat.test.tsx's. Shown text only grows.
    shown = [n for n in stream["lengths"] if n > 0]
    assert shown and shown == sorted(shown), stream["lengths"]
    assert title not in reports["trimming"]["outsiderLinks"]
    assert screenshot.stat().st_size > 10_000


@pytest.mark.slow
def test_make_webpart_builds_the_sppkg(node_env: dict[str, str]) -> None:
    """`make webpart` (rebuilt only when webpart/ sources changed) gives an app-catalog package
    that requests the API permission and can be deployed tenant-wide."""
    result = subprocess.run(
        ["make", "-s", "webpart"], cwd=REPO, env=node_env, capture_output=True, text=True, timeout=1200
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    with zipfile.ZipFile(WEBPART / "sharepoint" / "solution" / "onprem-assistant-webpart.sppkg") as package:
        manifest = package.read("AppManifest.xml").decode()
        names = package.namelist()
    assert 'SkipFeatureDeployment="true"' in manifest
    assert '<WebApiPermissionRequest ResourceId="On-premises Assistant" Scope="access_as_user">' in manifest
    assert any(re.search(r"ClientSideAssets/assistant-web-part_[0-9a-f]+\.js$", n) for n in names)
