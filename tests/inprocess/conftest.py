"""The real aiohttp app (``composition.create_app``) in-process, with fakes for the outside systems.

The routes, ``AskEndpoint``, ``ActivityEndpoint``, ``TeamsBot``, the Agents SDK, the assistant,
the answer pipeline and the index are the real ones; the embedder, the LLM server and the
directory are fakes (``tests/fakes.py``), and the Bot Connector is the local stand-in
(``tests/integration/capture.py``) on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from access import CurrentPermissions, PrincipalResolver
from answering.assistant import Assistant
from answering.followup import FollowupRewriter
from answering.memory import ConversationMemory
from answering.metrics import AnswerMetrics
from answering.model import ChatModel
from answering.pipeline import AnswerService
from audit import AuditSettings, AuditTrail
from composition import Serving, create_app
from retrieval.index import RelevanceGate
from retrieval.live_index import LiveIndex
from retrieval.snapshots import SnapshotStore
from retrieval.types import Chunk, DocumentRef
from settings import Settings
from state import open_sqlite_state
from tests.fakes import FakeDirectory, FakeEmbedder, FakeLLM
from tests.integration.capture import ConnectorCapture

TENANT = "0b3b6f0e-0000-4000-8000-000000000001"
GROUPS = {"anna": ["staff"], "hanna": ["staff", "hr"], "dana": ["sales"]}


def _doc(n: int, title: str) -> DocumentRef:
    return DocumentRef(
        f"item{n}", f"drive{n}", "site", title, f"https://contoso.sharepoint.com/doc{n}", f"{title}.docx"
    )


CHUNKS = [
    Chunk(
        "c0",
        _doc(1, "Travel Policy"),
        0,
        ("Travel Policy",),
        "The hotel limit is 120 EUR per night.",
        frozenset({"group:staff"}),
    ),
    Chunk(
        "c1",
        _doc(2, "Vacation Rules"),
        0,
        ("Vacation Rules",),
        "Vacation days carry over until March.",
        frozenset({"group:staff"}),
    ),
    Chunk(
        "c2",
        _doc(3, "Salary Bands"),
        0,
        ("Salary Bands",),
        "Secret salary bands and hotel perks for HR.",
        frozenset({"group:hr"}),
    ),
]


class Stack:
    """What one test sees: the client, the fakes and the connector stand-in."""

    def __init__(self, client: TestClient, llm: FakeLLM, capture: ConnectorCapture, data: Path) -> None:
        self.client = client
        self.llm = llm
        self.capture = capture
        self.data = data


def settings_for(data: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "dev_mode": True,
        "azure_tenant_id": TENANT,
        "data_dir": data,
        "answer_timeout_s": 20.0,
        "index_reload_interval_s": 0.2,
        **overrides,
    }
    return Settings.model_validate(values)


def serving_for(
    data: Path,
    llm: ChatModel,
    with_index: bool = True,
    permissions: CurrentPermissions | None = None,
    metrics: AnswerMetrics | None = None,
) -> Serving:
    """The real assistant over the test chunks; ``metrics``: the registry an LLM client was given."""
    embedder = FakeEmbedder()
    store = SnapshotStore(data / "index")
    if with_index:
        store.write(CHUNKS, embedder.embed_passages([c.indexed_text for c in CHUNKS]), embedder.name)
    live = LiveIndex(store, embedder.name)
    metrics = metrics or AnswerMetrics()
    answers = AnswerService(
        lambda: live.index,
        embedder,
        llm,
        gate=RelevanceGate(min_dense=0.7, min_lexical=1.0),
        permissions=permissions,
        stages=metrics.stages,
    )
    audit = AuditTrail(AuditSettings(directory=data / "audit", key=b"k" * 32))
    directory = FakeDirectory(GROUPS)
    state = open_sqlite_state(data / "state")
    memory = ConversationMemory(state.conversations, FollowupRewriter(None))
    assistant = Assistant(PrincipalResolver(directory, TENANT), answers, audit, metrics=metrics, memory=memory)
    return Serving(assistant, live, metrics, state, directory)


@pytest.fixture(scope="module")
def capture() -> Iterator[ConnectorCapture]:
    stand_in = ConnectorCapture().start()
    yield stand_in
    stand_in.stop()


@pytest_asyncio.fixture
async def stack(tmp_path: Path, capture: ConnectorCapture) -> AsyncIterator[Stack]:
    llm = FakeLLM(["The hotel limit is 120 EUR per night [1]."])
    serving = serving_for(tmp_path, llm)
    async with TestClient(TestServer(create_app(settings_for(tmp_path), serving), host="127.0.0.1")) as client:
        yield Stack(client, llm, capture, tmp_path)
    await serving.state.aclose()
