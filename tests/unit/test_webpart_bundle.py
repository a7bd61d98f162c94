"""The dev page's committed bundle is built from the web part's current sources, and the SharePoint
package asks for what the admin must approve.

``bot/static/webpart.js`` names the sha256 of the sources it was built from in its first line
(webpart/tools/dev-bundle.mjs); the same hash is computed here, so editing the chat component
without ``make dev-bundle`` fails this fast test. tests/integration/test_webpart.py also rebuilds
it and compares the bytes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEBPART = REPO / "webpart"
HASHED = ["src/chat", "src/dev", "package.json", "package-lock.json", "tools/dev-bundle.mjs"]


def _files(path: str) -> list[str]:
    full = WEBPART / path
    if full.is_file():
        return [path]
    return [f for name in sorted(p.name for p in full.iterdir()) for f in _files(f"{path}/{name}")]


def sources_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(f for p in HASHED for f in _files(p)):
        digest.update(path.encode() + b"\0")
        digest.update((WEBPART / path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def test_committed_dev_bundle_matches_the_sources() -> None:
    first_line = (REPO / "bot" / "static" / "webpart.js").read_text(encoding="utf-8").split("\n", 1)[0]
    match = re.search(r"sources-sha256: ([0-9a-f]{64})", first_line)
    assert match, "bot/static/webpart.js has no sources hash: build it with `make dev-bundle`"
    assert match.group(1) == sources_hash(), "webpart/ sources changed: run `make dev-bundle` and commit the bundle"


def test_dev_page_loads_the_bundle_and_nothing_else() -> None:
    page = (REPO / "bot" / "static" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*>", page) == ['<script src="static/webpart.js">']


def _jsonc(path: Path) -> dict[str, object]:
    text = re.sub(r"^\s*//.*$", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(json.loads(text))


def test_package_solution_requests_the_api_and_deploys_tenant_wide() -> None:
    solution = _jsonc(WEBPART / "config" / "package-solution.json")["solution"]
    assert isinstance(solution, dict)
    assert solution["skipFeatureDeployment"] is True
    assert solution["webApiPermissionRequests"] == [{"resource": "On-premises Assistant", "scope": "access_as_user"}]
    manifest = _jsonc(WEBPART / "src" / "webparts" / "assistant" / "AssistantWebPart.manifest.json")
    assert {"SharePointWebPart", "TeamsPersonalApp", "TeamsTab"} <= set(manifest["supportedHosts"])  # type: ignore[arg-type]
    assert manifest["requiresCustomScript"] is False


def test_spfx_node_and_versions_are_pinned_together() -> None:
    package = json.loads((WEBPART / "package.json").read_text(encoding="utf-8"))
    spfx = {
        v for k, v in {**package["dependencies"], **package["devDependencies"]}.items() if k.startswith("@microsoft/sp")
    }
    assert spfx == {"1.23.2"}
    assert package["engines"]["node"].startswith(">=22")
    assert 'NODE_VERSION="${NODE_VERSION:-22.' in (WEBPART / "tools" / "node22.sh").read_text(encoding="utf-8")
